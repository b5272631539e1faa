"""Backprop Lab: the app's navigation, page settings and shared look. Start with
`streamlit run app.py`; every page lives in pages/."""

import streamlit as st

from ui.page import clean_view, theme

st.set_page_config(page_title="Backprop Lab", page_icon=":material/account_tree:",
                   layout="wide", initial_sidebar_state="auto")

pages = {
    "Backprop Lab": [
        st.Page("pages/playground.py", title="Playground", icon=":material/account_tree:",
                url_path="playground", default=True),
    ],
    "Lessons": [
        st.Page("pages/central_difference.py", title="Central difference",
                icon=":material/straighten:", url_path="central-difference"),
        st.Page("pages/chain_rule.py", title="Chain rule", icon=":material/link:",
                url_path="chain-rule"),
        st.Page("pages/backpropagation.py", title="Backpropagation",
                icon=":material/undo:", url_path="backpropagation"),
        st.Page("pages/topological_sort.py", title="Topological sort",
                icon=":material/sort:", url_path="topological-sort"),
        st.Page("pages/forward_mode.py", title="Forward mode", icon=":material/redo:",
                url_path="forward-mode"),
        st.Page("pages/practice.py", title="Practice", icon=":material/quiz:",
                url_path="practice"),
        st.Page("pages/gradient_descent.py", title="Gradient descent",
                icon=":material/trending_down:", url_path="gradient-descent"),
        st.Page("pages/pytorch.py", title="PyTorch", icon=":material/code:", url_path="pytorch"),
    ],
}

clean = clean_view()
navigation = st.navigation(pages, position="hidden" if clean else "sidebar")

# A function that does not parse leaves its last good diagram on screen, dimmed. The clean views
# (embed, present) drop Streamlit's padding so the player fills an iframe or a projector.
st.html("""<style>
.st-key-player-dimmed { opacity: 0.4; filter: grayscale(1); pointer-events: none; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
</style>""" + ("""<style>
.block-container, [data-testid="stMainBlockContainer"] { padding: 0.5rem 1rem 0 1rem; }
header[data-testid="stHeader"] { display: none; }
</style>""" if clean else "") + ("""<style>
.stApp { background: #14161a; }
</style>""" if clean and theme() == "dark" else ""))

navigation.run()
