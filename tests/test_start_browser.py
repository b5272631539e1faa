"""The conventional start, `streamlit run app.py` (what the start script, the image and hosting
services such as Streamlit Community Cloud run): the first visitor after a restart may arrive
by a lesson's link and must get that lesson, not "Page not found"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, screenshot, start_app, stop_app, streamlit_command

STARTS = {
    "streamlit run app.py": streamlit_command(),
    "python -m streamlit run app.py": [sys.executable, "-m", "streamlit", "run", "app.py"],
}


def not_found_dialog(page):
    return page.get_by_role("dialog").filter(has_text="Page not found")


def test_app_py_is_served_as_an_st_app():
    """Streamlit finds `app` in app.py without running it; that is what lets app.py set up the
    server before the first visitor (see its docstring)."""
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(Path(ROOT / "app.py"))
    assert found.is_asgi_app and found.import_string == "app:app", found


@pytest.mark.parametrize("start", list(STARTS))
@pytest.mark.parametrize(
    "path, heading",
    [
        ("chain-rule", "Chain rule"),
        pytest.param("central-difference", "Central difference", marks=pytest.mark.slow),
    ],
)
def test_the_first_visitor_after_a_start_opens_a_lesson_link(browser, start, path, heading):
    process, url = start_app(command=STARTS[start])
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
            timeout=60_000
        )
        page.wait_for_timeout(1000)  # a late "Page not found" would arrive by now
        assert not_found_dialog(page).count() == 0
        assert page.url.split("?")[0].rstrip("/").endswith(f"/{path}")
        # The sidebar lists the app's own pages by title, not the files in pages/.
        sidebar = page.locator('[data-testid="stSidebarNav"]')
        assert sidebar.get_by_text("Topological sort", exact=True).count() == 1
        assert sidebar.get_by_text("topological sort", exact=True).count() == 0
        screenshot(page, f"first-visit-{path}")
        context.close()
    finally:
        stop_app(process)


def test_the_first_visitor_to_a_page_that_does_not_exist_is_told_so(browser):
    """The dialog the test above looks for is real: an unknown path shows it."""
    process, url = start_app()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{url}/no-such-lesson")
        not_found_dialog(page).wait_for(timeout=60_000)
        context.close()
    finally:
        stop_app(process)
