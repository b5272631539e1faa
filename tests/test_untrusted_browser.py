"""Links and typed text are data, never markup: in a real browser, on every page, a set of
Markdown and HTML payloads in every parameter the page reads (and typed into every Function
box) shows as typed, creates no link, image or element of its own, and makes the browser fetch
nothing from anywhere but the app.

One server, one browser page reused for every link; the parameters come from the pages' own
readers (test_query_params.READS, which a test checks against what each page asks for).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest
from test_query_params import READS

# Each short enough (≤ 40 characters) that a message quotes it whole.
PAYLOADS = {
    "link": "[Sign in](https://evil.example/)",
    "image": "![zi](http://127.0.0.1:9/t.png)",
    "emphasis": "x****y x*y*z _zq_ **zw**",
    "html": "<b>zb</b><img src=//127.0.0.1:9/h>",
    "javascript": "[zj](javascript:alert(1))",
    "autolink": "www.evil.example <http://127.0.0.1:9/>",
    "script": "<script>alert(1)</script>",
    "streamlit": ":red[zr] :material/home: $x^2$",
}
PATHS = {
    "pages/playground.py": "",
    "pages/central_difference.py": "central-difference",
    "pages/chain_rule.py": "chain-rule",
    "pages/backpropagation.py": "backpropagation",
    "pages/topological_sort.py": "topological-sort",
    "pages/forward_mode.py": "forward-mode",
    "pages/practice.py": "practice",
}
# The app's own page icon, which Streamlit loads from its icon font's CDN: no payload's doing.
APP_ICON = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/"
WITH_FUNCTION_BOX = ("", "central-difference", "forward-mode", "practice")
# What a payload could have become: any of these is a failure.
INJECTED = ", ".join(
    [
        "a[href*='evil']",
        "a[href^='javascript']",
        "a[href*='127.0.0.1:9']",
        "img[src*='127.0.0.1:9']",
        "img[src*='t.png']",
        "script:has-text('alert(1)')",
        "b:text-is('zb')",
        "em:text-is('y')",
        "em:text-is('zq')",
        "strong:text-is('zw')",
        "annotation:text-is('x^2')",
        "span:text-is('zr')[style*='color']",
    ]
)


@pytest.fixture(scope="module")
def tab(browser, app_url):
    """One tab for the whole module, with every request and dialog it makes recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    app = urlparse(app_url).netloc
    page.outside = []
    page.dialogs = []
    page.errors = []
    page.on(
        "request",
        lambda request: (
            urlparse(request.url).netloc not in (app, "")
            and not request.url.startswith(("data:", "blob:", APP_ICON))
            and page.outside.append(request.url)
        ),
    )
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def settle(page) -> None:
    page.locator("h1").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )
    page.wait_for_timeout(300)  # the player's component mounts after the run


def check(page, where: str, *shown: str) -> None:
    injected = page.locator(INJECTED)
    assert injected.count() == 0, f"{where}: {injected.first.evaluate('e => e.outerHTML')}"
    assert not page.outside, f"{where}: the page fetched {page.outside}"
    assert not page.dialogs, f"{where}: a dialog opened: {page.dialogs}"
    assert page.locator('[data-testid="stException"]').count() == 0, where
    # What the page quotes, it quotes as typed; at least one of the values is quoted.
    text = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")
    assert any(value in text for value in shown), f"{where}: none shown as typed"


def links(page: str) -> list[dict[str, str]]:
    """Every parameter the page reads but its function, each with every payload, in as many
    links as there are payloads (the payloads rotate over the parameters); then one link with
    the function itself as a payload (every payload goes into the Function box below)."""
    names = [name for name in READS[page] if name != "expr"]
    payloads = list(PAYLOADS.values())
    rotated = [
        {name: payloads[(i + r) % len(payloads)] for i, name in enumerate(names)}
        for r in range(len(payloads))
    ]
    if "expr" in READS[page]:
        which = list(PATHS).index(page) % len(payloads)
        rotated.append({name: payloads[which] for name in READS[page]})
    return rotated


@pytest.mark.parametrize("page", list(PATHS))
def test_a_payload_in_any_parameter_stays_text(tab, app_url, page):
    for params in links(page):
        tab.goto(f"{app_url}/{PATHS[page]}?{urlencode(params)}")
        settle(tab)
        check(tab, f"{page} {params}", *set(params.values()))
    assert not tab.errors


@pytest.mark.parametrize("path", WITH_FUNCTION_BOX)
def test_a_payload_typed_into_the_function_box_stays_text(tab, app_url, path):
    tab.goto(f"{app_url}/{path}")
    settle(tab)
    box = tab.get_by_role("textbox", name="Function").first
    for payload_name, payload in PAYLOADS.items():
        box.fill(payload)
        box.press("Enter")
        # Until the page has answered the new text: its error quotes it.
        tab.locator('[data-testid="stCode"]').filter(has_text=payload).first.wait_for(
            timeout=60_000
        )
        tab.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
            timeout=60_000
        )
        check(tab, f"/{path} typed {payload_name}", payload)


@pytest.mark.parametrize(
    "url, shown",
    [
        ("/?expr=x*y*z&predict=true&q=99", "predictions on x*y*z done"),
        ("/practice?expr=x*y*z&q=99", "questions on x*y*z done"),
        ("/topological-sort?wrong=own&order=1**2**", "order='1**2**'"),
    ],
)
def test_a_valid_function_with_stars_is_not_emphasis(tab, app_url, url, shown):
    tab.goto(app_url + url)
    settle(tab)
    check(tab, url, shown)
