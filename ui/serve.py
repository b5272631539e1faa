"""Start the app's server: `python -m ui.serve [streamlit options]`, i.e. `streamlit run app.py`.

app.py declares its pages with st.navigation. Until st.navigation has run once in the server
process, Streamlit still takes a folder named pages/ beside the main script for an old-style
multipage app, so the first visitor after a restart who opens a lesson's link (/chain-rule)
would be shown "Page not found". Declaring up front that the folder is not used avoids that.
"""

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", "app.py", *sys.argv[1:]]
    sys.exit(cli.main())
