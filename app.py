"""Backprop Lab: the app's navigation, page settings and shared look. Start with
`streamlit run app.py`; every page lives in pages/.

`streamlit run app.py` first reads this file for an `st.App` to serve and, finding `app` at the
end, imports it once as the module `app` when the server starts; every visitor's run then
executes it as `__main__`, which draws the page. The import is the one moment before any visitor,
and it tells Streamlit that pages/ is not an old-style multipage folder. Otherwise, until
st.navigation had run once, Streamlit would list pages/ by file name, and the first visitor after
a restart who opens a lesson's link (/chain-rule) would be shown "Page not found" (Streamlit
issue 9992).
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.page import clean_view, theme

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

# A function that does not parse leaves its last good diagram on screen, dimmed. The clean views
# (embed, present) drop Streamlit's padding so the player fills an iframe or a projector.
LOOK = """<style>
.st-key-player-dimmed { opacity: 0.4; filter: grayscale(1); pointer-events: none; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
</style>"""
CLEAN = """<style>
.block-container, [data-testid="stMainBlockContainer"] { padding: 0.5rem 1rem 0 1rem; }
header[data-testid="stHeader"] { display: none; }
</style>"""
CLEAN_DARK = """<style>
.stApp { background: #14161a; }
</style>"""

if __name__ == "__main__":
    st.set_page_config(page_title="Backprop Lab", page_icon=":material/account_tree:",
                       layout="wide", initial_sidebar_state="auto")
    clean = clean_view()
    navigation = st.navigation(pages, position="hidden" if clean else "sidebar")
    st.html(LOOK + (CLEAN if clean else "") + (CLEAN_DARK if clean and theme() == "dark" else ""))
    navigation.run()
else:
    PagesManager.uses_pages_directory = False
    app = st.App(__file__)
