"""Drawing from the engine's trace: the box diagram, the step deck and its slide file, plots.

Plain functions with no Streamlit in them, so tests and scripts call them without a browser.
"""

from .deck import deck_data, standalone_html
from .diagram import Diagram, build_diagram

__all__ = ["build_diagram", "Diagram", "deck_data", "standalone_html"]
