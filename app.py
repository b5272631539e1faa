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

from ui.page import clean_view

# The lessons in the sidebar's order: file in pages/ (its address with - for _), title, icon.
LESSONS = [
    ("central_difference", "Central difference", "straighten"),
    ("chain_rule", "Chain rule", "link"),
    ("backpropagation", "Backpropagation", "undo"),
    ("topological_sort", "Topological sort", "sort"),
    ("forward_mode", "Forward mode", "redo"),
    ("practice", "Practice", "quiz"),
    ("gradient_descent", "Gradient descent", "trending_down"),
    ("pytorch", "PyTorch", "code"),
]
pages = {
    "Backprop Lab": [
        st.Page(
            "pages/playground.py",
            title="Playground",
            icon=":material/account_tree:",
            url_path="playground",
            default=True,
        ),
    ],
    "Lessons": [
        st.Page(
            f"pages/{file}.py",
            title=title,
            icon=f":material/{icon}:",
            url_path=file.replace("_", "-"),
        )
        for file, title, icon in LESSONS
    ],
}

# Contrast of at least 4.5:1 (WCAG 2.1 AA) in both themes, whichever one the page is in. Streamlit
# draws captions in its text colour at 60 % (4.0:1 on white), and the chosen option of a segmented
# control and a slider's value in the accent colour (3.3:1 on the dark theme's background, where
# the accent must stay dark enough for white text on a primary button). Captions take the text
# colour at 80 % instead (6.5:1 light, 10:1 dark); the chosen option and the slider's value take
# the text colour, and the chosen option bold type: its border and tint still mark it.
READABLE = """
[data-testid="stCaptionContainer"] { color: inherit; opacity: 0.8; }
button[data-variant="segmented_control"][aria-checked="true"],
button[data-variant="segmented_control"][aria-checked="true"] *,
button[data-variant="pills"][aria-checked="true"],
button[data-variant="pills"][aria-checked="true"] * { color: inherit !important; font-weight: 600; }
[data-testid="stSliderThumbValue"], [data-testid="stSliderThumbValue"] * { color: inherit; }
"""

# A keyboard user must be able to scroll what does not fit: a wide formula (KaTeX) or a code
# block that scrolls sideways gets a place in the tab order, and only while it scrolls. Whether it
# scrolls can change without a change to the page's elements (its fonts arriving, a theme or a
# column width changing), so each box's size is watched too, and the fonts' loading.
SCROLLABLE_FOCUSABLE = """<script>
(() => {
  if (window.backpropLabScrollables) return;
  window.backpropLabScrollables = true;
  const SCROLLABLE = ".katex-display, [data-testid='stCode'] pre";
  const watched = new WeakSet();
  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; mark(); });
  };
  const sizes = new ResizeObserver(later);
  const mark = () => {
    for (const box of document.querySelectorAll(SCROLLABLE)) {
      if (!watched.has(box)) {
        watched.add(box);
        sizes.observe(box);
        for (const part of box.children) sizes.observe(part);
      }
      // Only along an axis that scrolls: KaTeX clips its display's height.
      const style = getComputedStyle(box), scrolling = ["auto", "scroll"];
      const scrolls = (scrolling.includes(style.overflowX) && box.scrollWidth > box.clientWidth)
        || (scrolling.includes(style.overflowY) && box.scrollHeight > box.clientHeight);
      if (scrolls && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      if (!scrolls && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    }
  };
  new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", later);
  if (document.fonts) {
    document.fonts.addEventListener("loadingdone", later);
    document.fonts.ready.then(later);
  }
  mark();
})();
</script>"""

# The playground's values when there are more than five (a neuron of many inputs): each field's
# label beside it rather than over it, and less room between rows, so that three rows of them
# take the height of two and the player's diagram and step controls still show on the first
# screen at 1280×800. Each field keeps room for its label and 7.5rem for its number and its −
# and + buttons.
_VALUES = ".st-key-input-row-playground-values:has(> :nth-child(6))"
_COMPACT_VALUES = f"""
{_VALUES} {{ row-gap: 0.5rem; column-gap: 0.5rem; }}
{_VALUES} > [data-testid="stElementContainer"] {{
  flex: 1 1 9.5rem; width: 9.5rem; min-width: auto; max-width: 15rem; }}
{_VALUES} [data-testid="stNumberInput"] {{
  display: grid; grid-template-columns: auto minmax(7.5rem, 1fr); align-items: center;
  column-gap: 0.4rem; }}
{_VALUES} [data-testid="stNumberInput"] > [data-testid="stWidgetLabel"] {{
  margin: 0; min-height: 0; }}
"""

# A row of inputs (ui.widgets.input_row) wraps onto more rows rather than squeezing its fields:
# each field 8rem wide or more (up to 14rem), so its label stays on one line and its − and +
# buttons stay (Streamlit hides them below 7.5rem). Within a wider row (the playground's values
# and options), the values ask for their 8rem each first, so the options go under them when
# both do not fit, rather than beside them in a squeezed column.
INPUT_ROWS = (
    """
[class*="st-key-input-row-"] > [data-testid="stElementContainer"] {
  flex: 1 1 8rem; width: 8rem; min-width: 8rem; max-width: 14rem; }
[data-testid="stHorizontalBlock"] > [data-testid="stLayoutWrapper"]:has(
  > [class*="st-key-input-row-"]) { flex: 1 1 max-content; }
"""
    + _COMPACT_VALUES
)

# The playground's first screen (ui.playground): the title in less height, with what to do
# beside it. On a phone (one column, under 641 px) the player comes right after the Function
# box and what it reads as: the values and options go under the player and its link. The order
# is only visual; the page's order stays the order of reading and of the Tab key everywhere else.
_MAIN = '[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > '
_SETTINGS = '[data-testid="stLayoutWrapper"] > .st-key-playground-settings'
_PLAYER = ".st-key-player, .st-key-player-dimmed"
# The Function box and the Examples box beside it: on a phone, one under the other, the
# Examples box under the player with the values (its row and columns give up their boxes, so
# that each column is ordered on its own). The row is the Function box's: the Examples box
# arrives with the rest of the page (pages/playground.py), into the row's last column.
_FUNCTION_ROW = (
    _MAIN + '[data-testid="stLayoutWrapper"]:has(> [data-testid="stHorizontalBlock"]'
    " .st-key-playground-expr)"
)
_COLUMNS = f'{_FUNCTION_ROW} > [data-testid="stHorizontalBlock"]'
FIRST_SCREEN = f"""
.st-key-playground-head h1 {{ font-size: 2rem; padding: 0; }}
.st-key-playground-head > :last-child {{ flex-basis: 20rem; }}
@media (max-width: 640px) {{
  {_MAIN}:has(~ {_SETTINGS}) {{ order: -2; }}
  {_MAIN}:has({_PLAYER}) {{ order: -1; }}
  {_FUNCTION_ROW}, {_COLUMNS} {{ display: contents; }}
  {_COLUMNS} > [data-testid="stColumn"] {{ order: -2; width: 100%; flex: none; }}
  {_COLUMNS} > [data-testid="stColumn"]:last-child {{ order: 0; }}
}}
"""

# Holding a number field's − or + (or the arrow keys in it) keeps stepping, steadily: Streamlit's
# buttons step once per click, and a key held down repeats faster than the app can run. After
# 0.45 s on a button, and for each repeat of a held key, a step at most every 0.12 s, and only once
# the run the last step started has finished. So every value held through is drawn, the page never
# piles up interrupted runs (which grey it out and leave the diagram far behind), and the value
# stops where the diagram does. Each button step is the field's own click, so the value, its
# bounds and the run it starts are Streamlit's as for any click; the click the browser makes on
# letting go of a held button is not one more step.
HOLD_TO_REPEAT = """<script>
(() => {
  if (window.backpropLabHold) return;
  window.backpropLabHold = true;
  const FIELD = '[data-testid="stNumberInput"]';
  const BUTTONS = '[data-testid="stNumberInputStepUp"], [data-testid="stNumberInputStepDown"]';
  // In ms: the first repeat, the quickest pace, and how long a step's run may take to begin (a
  // step that changes nothing starts none).
  const FIRST = 450, EVERY = 120, START = 1000;
  // Streamlit marks its app element with the state of its script run.
  const STATE = "data-test-script-state", BUSY = ["running", "rerunRequested"];
  const running = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && BUSY.includes(app.getAttribute(STATE));
  };
  // The last step: when, whether its run has begun, and how many frames have been drawn since
  // the app was last seen busy (the player draws a run's diagram in the frames after it ends).
  let last = -Infinity, started = true, calm = 2, watching = false;
  // A run may start and end between two looks: its records still say it ran.
  new MutationObserver((records) => {
    if (running() || records.some((r) => BUSY.includes(r.oldValue))) {
      started = true;
      calm = 0;
      look();
    }
  }).observe(document.body, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: [STATE],
  });
  const watch = () => {
    calm = running() ? 0 : calm + 1;
    watching = calm < 2 || performance.now() - last < START;
    if (watching) requestAnimationFrame(watch);
  };
  const look = () => {
    if (!watching) { watching = true; requestAnimationFrame(watch); }
  };
  const ready = () => {
    const now = performance.now();
    if (now - last < EVERY || running()) return false;
    return started ? calm >= 2 : now - last >= START;
  };
  const stepped = () => {
    last = performance.now();
    started = false;
    look();
  };

  // After a hold that stepped, the click the browser sends for the release (at once for a mouse,
  // up to a few hundred ms later for a finger) is no step: it is dropped, until the next press.
  let timer = null, repeated = false, swallow = false;
  const stop = () => { clearTimeout(timer); timer = null; };
  document.addEventListener("pointerdown", (event) => {
    const button = event.button === 0 && event.target.closest && event.target.closest(BUTTONS);
    swallow = false;
    if (!button) return;
    stop();
    repeated = false;
    const which = button.getAttribute("data-testid");
    const field = button.closest(FIELD);
    const step = () => {
      const again = field && field.isConnected
        && field.querySelector('[data-testid="' + which + '"]');
      if (!again || again.disabled) { stop(); return; }
      if (ready()) {
        again.click();
        stepped();
        repeated = true;
      }
      timer = setTimeout(step, 20);
    };
    timer = setTimeout(step, FIRST);
  }, true);
  document.addEventListener("pointerout", (event) => {
    const button = event.target.closest && event.target.closest(BUTTONS);
    if (button && !(event.relatedTarget && button.contains(event.relatedTarget))) stop();
  }, true);
  window.addEventListener("pointerup", () => {
    if (timer !== null && repeated) swallow = true;
    stop();
  }, true);
  for (const type of ["pointercancel", "blur"]) window.addEventListener(type, stop, true);
  const drop = (event) => { event.stopPropagation(); event.preventDefault(); };
  document.addEventListener("click", (event) => {
    // A click from the keyboard (detail 0) has no press before it: it is always a step.
    if (!swallow || !event.isTrusted || event.detail === 0) return;
    if (!(event.target.closest && event.target.closest(BUTTONS))) return;
    swallow = false;
    drop(event);
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    if (!(event.target.closest && event.target.closest(FIELD))) return;
    if (!event.repeat) stepped();
    else if (ready()) stepped();
    else drop(event);
  }, true);
})();
</script>"""

# A function that does not parse leaves its last good diagram on screen, dimmed. The clean views
# (embed, present) drop Streamlit's padding so the player fills an iframe or a projector.
LOOK = (
    """<style>
.st-key-player-dimmed { opacity: 0.4; filter: grayscale(1); pointer-events: none; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
"""
    + READABLE
    + INPUT_ROWS
    + FIRST_SCREEN
    + "</style>"
)
CLEAN = """<style>
.block-container, [data-testid="stMainBlockContainer"] { padding: 0.5rem 1rem 0 1rem; }
header[data-testid="stHeader"] { display: none; }
</style>"""

# A link's ?theme=dark (or light) opens the whole page in that theme: Streamlit's own sidebar,
# inputs, tables and charts as well as the player. Streamlit picks its theme in the browser, before
# any script runs, from ?embed_options=dark_theme; so the page reloads once with that in place of
# theme=. Streamlit keeps it out of the settings it remembers, and its settings menu still
# switches the theme afterwards. One fixed script per theme: nothing from the link is written in.
_THEME_FROM_LINK = """<script>
(() => {
  const url = new URL(window.location.href);
  const kept = url.searchParams.getAll("embed_options")
    .filter((option) => !/^(light|dark)_theme$/i.test(option));
  url.searchParams.delete("theme");
  url.searchParams.delete("embed_options");
  for (const option of [...kept, "THEME_theme"]) url.searchParams.append("embed_options", option);
  window.location.replace(url.toString());
})();
</script>"""
THEME_FROM_LINK = {theme: _THEME_FROM_LINK.replace("THEME", theme) for theme in ("light", "dark")}

if __name__ == "__main__":
    st.set_page_config(
        page_title="Backprop Lab",
        page_icon=":material/account_tree:",
        layout="wide",
        initial_sidebar_state="auto",
    )
    clean = clean_view()
    navigation = st.navigation(pages, position="hidden" if clean else "sidebar")
    asked = st.query_params.get("theme", "").lower()
    # One element, so that the page's own content starts where it did.
    st.html(
        THEME_FROM_LINK.get(asked, "")
        + LOOK
        + (CLEAN if clean else "")
        + SCROLLABLE_FOCUSABLE
        + HOLD_TO_REPEAT,
        unsafe_allow_javascript=True,
    )
    navigation.run()
else:
    PagesManager.uses_pages_directory = False
    app = st.App(__file__)
