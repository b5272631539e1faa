// The player inside the app: mounts assets/player.js as a Streamlit component (v2, which runs in
// the page's own document) and keeps the step it shows in the page's address.
//
// Stepping costs the network nothing: the step goes into the URL with history.replaceState, not
// back to Python, because every value sent to Python reruns the script, and a rerun costs more
// than a kilobyte however little changes. Streamlit itself rewrites the address after each run
// from what Python last knew; `keepSteps` makes every such rewrite keep the steps the players
// on the page show.
//
// The player follows Streamlit's theme as it changes, also when the viewer switches it in
// Streamlit's settings menu, which reruns nothing (so Python's st.context.theme, and the theme
// in the data, can lag behind). Streamlit sets its theme on the element around the component
// as CSS custom properties (--st-background-color …) and changes them in place. A probe whose
// colour is that background notices a change by a transition of a millisecond: the player then
// takes the theme of the new background, light or dark by its luminance.
//
// Streamlit calls the default export whenever the script draws the player. The data carries a
// key: the same key means the same deck, so nothing happens and the student's step, zoom and pan
// stay. A new deck of the same shape (the function at another point, in another mode, with
// another eps) replaces the frames in place and keeps the step; the same function with other
// subexpressions collapsed mounts afresh at the corresponding step; another function at the step
// the page asks for.

const bpHeld = new Map();  // query parameter -> the root of the player whose step it holds

function bpStepParam(name) {
  const root = bpHeld.get(name);
  if (!root || !root.isConnected || !root.bpPlayer) return null;
  return String(root.bpPlayer.step + (root.bpParam ? root.bpParam.offset : 0));
}

function bpWithSteps(url) {
  if (url === undefined || url === null) return url;
  const next = new URL(String(url), location.href);
  if (next.pathname !== location.pathname) return url;  // another page: its own steps
  let changed = false;
  for (const name of bpHeld.keys()) {
    const value = bpStepParam(name);
    if (value !== null && next.searchParams.get(name) !== value) {
      next.searchParams.set(name, value);
      changed = true;
    }
  }
  return changed ? next.pathname + next.search + next.hash : url;
}

function bpKeepSteps() {
  if (history.bpKeepsSteps) return;
  for (const method of ["pushState", "replaceState"]) {
    const original = history[method].bind(history);
    history[method] = (state, title, url) => original(state, title, bpWithSteps(url));
  }
  history.bpKeepsSteps = true;
}

function bpRemember(root, key) {
  try {
    sessionStorage.setItem("bp-step:" + key, JSON.stringify(
      { shape: root.bpPlayer.shape, given: root.bpGiven, step: root.bpPlayer.step }));
  } catch (e) { /* storage off: the page's own step is used next time */ }
}

function bpRecalled(key, deck, given) {
  // Back on a page within the same tab: the step the student left it at, unless the page now
  // asks for another step than it did then (a new link, a prediction).
  try {
    const saved = JSON.parse(sessionStorage.getItem("bp-step:" + key) || "null");
    if (saved && saved.shape === deck.shape && saved.given === given) return saved.step;
  } catch (e) { /* nothing saved */ }
  return given;
}

function bpStreamlitTheme(probe) {
  const value = getComputedStyle(probe).getPropertyValue("--st-background-color").trim();
  if (!value) return null;
  // Any CSS colour, as #rrggbb: a canvas context normalises what it is given.
  const context = document.createElement("canvas").getContext("2d");
  context.fillStyle = "#010203";
  context.fillStyle = value;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(context.fillStyle);
  if (!hex || (context.fillStyle === "#010203" && value !== "#010203")) return null;
  const [r, g, b] = hex.slice(1).map((h) => parseInt(h, 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18 ? "dark" : "light";
}

function bpFollowTheme(parentElement, root) {
  if (root.bpProbe) return;
  const probe = document.createElement("span");
  probe.setAttribute("aria-hidden", "true");
  probe.style.cssText = "position:absolute;width:0;height:0;overflow:hidden;visibility:hidden;" +
    "color:var(--st-background-color,#010203);transition:color 1ms linear";
  parentElement.appendChild(probe);
  root.bpProbe = probe;
  probe.addEventListener("transitionrun", () => {
    const theme = bpStreamlitTheme(probe);
    if (theme && root.bpPlayer) root.bpPlayer.setTheme(theme);
  });
}

// The player's height: a number of pixels, or "fill": what the first screen has left under the
// player's top (up to 660 px), so the diagram and the step controls show without scrolling.
// With 440 px or more left, the player is that tall. With less (a neuron's many inputs above
// it), down to 300 px, the player is "short": its step controls go right under the step's
// phase and number, over the diagram, and the diagram takes the rest of the first screen; the
// explanation beside it is its full length, so a long step (the last step's check) runs on
// below the first screen and the page scrolls to it, while the diagram and the controls stay
// where they are (player.css, player.js playerLayout). A player that starts lower still gets a
// comfortable fixed height. On a phone, where the page is one column, the player is as tall as
// what it shows: the diagram, the step controls under it, then the whole explanation (player.css,
// a stacked player).
const BP_SHORT = 300;  // px: the least first-screen room for a short player's diagram and controls

function bpFillHeight(root) {
  if (window.innerWidth < 641) return null;
  const scrolled = (document.querySelector('[data-testid="stMain"]') || {}).scrollTop || 0;
  const left = window.innerHeight - (root.getBoundingClientRect().top + scrolled) - 12;
  if (left >= 440) return { height: Math.min(left, 660), short: false };
  if (left >= BP_SHORT) return { height: left, short: true };
  return { height: Math.min(700, window.innerHeight - 40), short: false };
}

function bpFill(root) {
  const fill = bpFillHeight(root);
  root.dataset.height = fill === null ? "auto" : fill.short ? "short" : "fixed";
  root.style.height = fill === null || fill.short ? "" : fill.height + "px";
  if (fill && fill.short) root.style.setProperty("--bp-fill", fill.height + "px");
  else root.style.removeProperty("--bp-fill");
}

function bpSize(root, height) {
  if (height !== "fill") {
    delete root.dataset.height;
    root.style.height = height + "px";
    return;
  }
  bpFill(root);
  if (root.bpFills) return;
  root.bpFills = true;
  window.addEventListener("resize", () => {
    if (root.isConnected) bpFill(root);
  });
}

// The page may wait for the diagram before it draws what is under the player, or before it
// sends the whole of a deck that came with its first steps only (ui/player.py, on_drawn): say
// so after the frame that shows it, once for the page and once for each such deck.
function bpReportDrawn(component, root, data) {
  const partial = data.deck.frames.length < (data.deck.steps || 0);
  if (!data.reports || (root.bpReported && !partial)) return;
  root.bpReported = true;
  requestAnimationFrame(() => setTimeout(() => component.setTriggerValue("drawn", true), 0));
}

export default function (component) {
  const { parentElement } = component;
  const data = bpComponentData(component.data);
  const key = data.id;
  let root = parentElement.querySelector(".bp-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "bp-root";
    parentElement.appendChild(root);
  }
  bpSize(root, data.height);
  if (root.bpKey === data.key) return undefined;
  root.bpKey = data.key;
  root.bpParam = data.param;
  root.bpGiven = data.options.step;  // the step the page asked for
  bpKeepSteps();
  if (data.param) bpHeld.set(data.param.name, root);
  const onStep = () => {
    clearTimeout(root.bpTimer);
    root.bpTimer = setTimeout(() => {
      if (!root.bpPlayer) return;
      bpRemember(root, key);
      if (data.param) history.replaceState(history.state, "", location.href);
    }, 250);
  };
  const player = root.bpPlayer;
  const sameShape = player && player.shape === data.deck.shape;
  bpFollowTheme(parentElement, root);
  const theme = bpStreamlitTheme(root.bpProbe) || data.options.theme;
  const look = Object.assign({}, data.options);
  delete look.step;
  delete look.theme;  // followed live, below: a new theme is not a new player
  const sameLook = root.bpLook === JSON.stringify(look);
  root.bpLook = JSON.stringify(look);
  if (sameShape && sameLook) {
    player.swap(data.deck);
    player.setTheme(theme);
    onStep();
    bpReportDrawn(component, root, data);
    return undefined;
  }
  // The same function with other boxes collapsed: the corresponding step (player.js).
  const sameFamily = player && !sameShape && Boolean(data.deck.family) &&
    player.family === data.deck.family;
  const found = sameFamily ?
    bpCorrespondingStep(player.deck, player.step, player.chosen, data.deck) :
    { step: sameShape ? player.step : bpRecalled(key, data.deck, data.options.step),
      chosen: sameShape ? player.chosen : null };
  const step = found.step;
  // A box expanded or collapsed: the zoom the student chose stays (fit to view stays fit).
  const zoom = sameFamily || sameShape ? player.zoom : null;
  if (player) player.destroy();
  // A click on a collapsed box goes to the page, which expands it (ui/player.py).
  const onExpand = data.expands ? (box) => component.setTriggerValue("expand", box) : null;
  root.bpPlayer = mountPlayer(root, data.deck,
                              Object.assign({}, data.options, { step, theme, onStep, onExpand,
                                                                chosen: found.chosen, link: true,
                                                                zoom }));
  onStep();
  bpReportDrawn(component, root, data);
  return undefined;
}
