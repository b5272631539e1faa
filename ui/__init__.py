"""Streamlit glue shared by the pages: URL state, the step player, cached engine work.

Pages stay thin: they read widgets, call the engine and the drawing functions through here, and
show what comes back. Nothing in this package computes a derivative.
"""
