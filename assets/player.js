// The step player: shows a deck (a laid-out diagram, one patch and one explanation per step)
// and steps through it with buttons, a slider, play/pause and the keyboard.
// The same file runs inside the app and inside a downloaded slide file, so they cannot drift.
// No network, no libraries: every frame was computed ahead of time.

/* exported mountPlayer */
// eslint-disable-next-line no-unused-vars
function mountPlayer(root, deck, options) {
  "use strict";
  options = Object.assign({}, options);  // its own copy: setTheme changes options.theme
  const SPEEDS = [2, 1, 0.5, 0.25];  // seconds per step
  const frames = deck.frames;
  // The last step the student can reach: the deck's last, or options.limit (a question not yet
  // answered lies after). A large deck may come with its first steps only (deck.steps counts
  // them all): `last` is then the last step at hand, and a step asked for beyond it is taken
  // when the whole deck takes its place (swap).
  const whole = () => (deck.steps || frames.length) - 1;
  const reachable = () => Number.isInteger(options.limit) ?
    Math.max(0, Math.min(options.limit, whole())) : whole();
  let last = Math.min(reachable(), frames.length - 1);
  let ahead = null;  // the step asked for beyond `last`, while the deck is not whole
  let current = -1;
  // The step the student chose while the deck shows only the collapsed box holding it (see
  // bpCorrespondingStep), found again when the box is expanded; stepping forgets it.
  let chosen = null;
  let timer = null;
  let playing = false;
  let seconds = 1;
  const onStep = options.onStep || function () {};

  // -- build the DOM ---------------------------------------------------------------------------
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  };
  // Icons drawn as SVG paths: symbol fonts are not on every projector laptop.
  const ICONS = {
    first: "M5 4h2v16H5zM20 4v16L9 12z",
    prev: "M17 4v16L6 12z",
    play: "M7 4v16l13-8z",
    pause: "M6 4h4v16H6zM14 4h4v16h-4z",
    next: "M7 4v16l11-8z",
    last: "M17 4h2v16h-2zM4 4v16l11-8z",
    link: "M3.9 12c0-1.7 1.4-3.1 3.1-3.1h4V7H7a5 5 0 0 0 0 10h4v-1.9H7c-1.7 0-3.1-1.4-3.1-3.1z" +
      "M8 13h8v-2H8zM17 7h-4v1.9h4c1.7 0 3.1 1.4 3.1 3.1s-1.4 3.1-3.1 3.1h-4V17h4a5 5 0 0 0 0-10z",
  };
  const setIcon = (b, name) => {
    b.innerHTML = '<svg viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true">' +
      '<path fill="currentColor" d="' + ICONS[name] + '"/></svg>';
  };
  const button = (label, icon, cls) => {
    const b = el("button", { type: "button", class: "bp-button " + (cls || ""),
                             "aria-label": label, title: label });
    setIcon(b, icon);
    return b;
  };

  root.textContent = "";
  const player = el("div", { class: "bp-player", tabindex: "-1" });
  player.appendChild(el("style", { text: deck.css }));
  player.className = "bp-player" + (options.present ? " bp-present" : "") +
    (options.embed ? " bp-embed" : "");
  const dark = () => options.theme === "dark";
  // The theme can change while the player is up (the app's settings menu, the notebook's
  // theme): only classes change, so the step, zoom and pan stay.
  function setTheme(name) {
    options.theme = name === "dark" ? "dark" : "light";
    player.classList.toggle("bp-theme-dark", dark());
    player.classList.toggle("bp-theme-light", !dark());
  }
  setTheme(options.theme);

  const phaseLabel = el("span", { class: "bp-phase" });
  const count = el("span", { class: "bp-count" });
  const title = el("span", { class: "bp-title", text: deck.title, title: deck.title });
  // The tools for the picture (zoom, legend, downloads, link, speaker view, keys) share the
  // row of the step's phase and number, at its right end; in a slide or presenter mode, where
  // that row is at the bottom, the zoom tools sit over the diagram's corner instead.
  const tools = el("div", { class: "bp-tools" });
  const head = el("div", { class: "bp-head" }, [phaseLabel, count, title, tools]);
  const clean = Boolean(options.present || options.embed);

  // Zoomed in, the stage scrolls: a place in the tab order lets the keyboard reach it.
  const stage = el("div", { class: "bp-stage", tabindex: "0", role: "region",
                            "aria-label": "Diagram (scrolls when zoomed in)" });
  const view = el("div", { class: "bp-view" }, [stage]);
  stage.innerHTML = deck.svg;
  const svg = stage.querySelector("svg");
  // Out of the page's layout until the player around it is arranged, the first step drawn in it
  // and its size on screen known (zoom.show, below): measuring the player then costs little,
  // and a large diagram's thousands of elements are styled and laid out once, as shown.
  svg.style.display = "none";
  // Wide graphs get the explanation under them, tall ones beside them.
  const box = svg.viewBox.baseVal;
  player.dataset.shape = box.width >= 2.2 * box.height ? "wide" : "tall";
  const chips = el("div", { class: "bp-chips" });
  for (let i = 0; i < deck.chips; i++) {
    chips.appendChild(el("span", { class: "bp-chip bp-empty", id: "bp-o" + i }));
  }
  const order = el("div", { class: "bp-order" },
                   [el("span", { class: "bp-order-label", text: "Topological order" }), chips]);
  const explain = el("div", { class: "bp-explain" });
  // A step asked for while only the first steps are here: the explanation says it is coming.
  const arriving = el("div", { class: "bp-arriving", role: "status" });
  function sayArriving() {
    if (ahead === null) { arriving.remove(); return; }
    arriving.textContent = "Step " + ahead + " is on its way: the player goes there as soon " +
      "as the remaining steps arrive.";
    if (arriving.parentNode !== explain) explain.prepend(arriving);
  }
  const body = el("div", { class: "bp-body" },
                  [el("div", { class: "bp-left" }, [view, order]), explain]);

  const first = button("First step", "first");
  const prev = button("Previous step", "prev");
  const play = button("Play", "play", "bp-play");
  const next = button("Next step", "next");
  const end = button("Last step", "last");
  const slider = el("input", { type: "range", min: "0", max: String(last), value: "0",
                               step: "1", class: "bp-slider", "aria-label": "Step" });
  const speed = el("select", { class: "bp-speed", "aria-label": "Seconds per step",
                               title: "Seconds per step" });
  for (const s of SPEEDS) {
    const option = el("option", { value: String(s), text: s + " s" });
    if (s === seconds) option.selected = true;
    speed.appendChild(option);
  }
  // One word per phase on its button ("Forward", "Order", "Backward"); the full name is the
  // button's name and tooltip.
  const shortTitle = (t) => {
    const word = t.replace(/ pass$/i, "").replace(/^topological /i, "");
    return word.charAt(0).toUpperCase() + word.slice(1);
  };
  const phaseButtons = deck.phases.map((p) => {
    const b = el("button", { type: "button", class: "bp-button bp-jump",
                             "aria-label": "Go to " + p.title, title: "Go to " + p.title,
                             text: shortTitle(p.title) });
    b.addEventListener("click", () => { pause(); goTo(p.first); });
    return b;
  });
  const saveSvg = el("button", { type: "button", class: "bp-button bp-save",
                                 "aria-label": "Download SVG", title: "Download SVG",
                                 text: "SVG" });
  const savePng = el("button", { type: "button", class: "bp-button bp-save",
                                 "aria-label": "Download PNG", title: "Download PNG",
                                 text: "PNG" });
  // One row of step controls: the buttons, the slider, a jump to each phase and the speed.
  const controls = el("div", { class: "bp-controls" }, [
    el("div", { class: "bp-transport" }, [first, prev, play, next, end]),
    slider,
    el("div", { class: "bp-jumps" }, phaseButtons),
    speed,
  ]);
  const extra = el("div", { class: "bp-extra" }, [saveSvg, savePng, ...linkButton(options, setIcon)]);
  (clean ? controls : tools).appendChild(extra);
  player.append(head, body, controls);
  root.appendChild(player);

  const elements = new Map();
  function collectElements() {
    elements.clear();
    for (const g of svg.querySelectorAll("g[id^='bp-']")) elements.set(g.id, g);
    for (const chip of chips.children) elements.set(chip.id, chip);
  }
  collectElements();
  bpCollapsedBoxes(svg, deck, options, () => current);
  const layout = playerLayout({ player, head, order, explain, controls, tools, options, box,
                               stage });
  const zoom = zoomView({ player, stage, svg, view, options, home: clean ? view : tools,
                          before: extra,
                          active: () => !mountPlayer.active || mountPlayer.active === api });

  // -- frames ----------------------------------------------------------------------------------
  // Only what differs is written: a look the element already has costs no new layout.
  function applyPatch(patch) {
    for (const [id, look] of Object.entries(patch)) {
      const node = elements.get(id);
      if (!node) continue;
      if (node.getAttribute("class") !== look.classes) node.setAttribute("class", look.classes);
      if (node.tagName.toLowerCase() === "span") {
        setText(node, look.texts[0] ?? "");
        continue;
      }
      const texts = node.querySelectorAll("text");
      for (const text of texts) setText(text, look.texts[+text.dataset.line] || "");
    }
  }
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }
  function stepIn(k) {
    return Math.max(0, Math.min(last, Math.round(Number(k)) || 0));
  }

  function phaseTitle(frame) {
    const p = deck.phases.find((q) => q.name === frame.phase);
    return p ? p.title : "Start";
  }

  function goTo(k) {
    const asked = Math.min(reachable(), Math.round(Number(k)) || 0);
    ahead = asked > last ? asked : null;
    sayArriving();
    k = stepIn(k);
    if (k === current) return;
    chosen = null;
    // Patches only go forward: going back replays from frame 0, which sets every element.
    const from = k > current ? current + 1 : 0;
    clearChanged();
    for (let i = from; i <= k; i++) applyPatch(frames[i].patch);
    current = k;
    const frame = frames[k];
    player.dataset.phase = frame.phase;
    player.dataset.step = String(k);
    phaseLabel.textContent = phaseTitle(frame);
    phaseLabel.className = "bp-phase bp-phase-" + frame.phase;
    count.textContent = "Step " + k + " of " + whole();
    explain.innerHTML = frame.html;
    sayArriving();
    order.classList.toggle("bp-hidden", frame.phase === "start" || frame.phase === "forward");
    slider.value = String(k);
    first.disabled = prev.disabled = k === 0;
    next.disabled = end.disabled = k === reachable();
    for (const b of phaseButtons) b.classList.remove("bp-on");
    const index = deck.phases.findIndex((p) => p.name === frame.phase);
    if (index >= 0) phaseButtons[index].classList.add("bp-on");
    presenter.show(k, from);
    explanationRoom(body, explain);
    layout.room();
    zoom.follow();
    if (!playing) onStep(k);
  }

  // -- play ------------------------------------------------------------------------------------
  function setPlaying(on) {
    playing = on;
    play.setAttribute("aria-label", on ? "Pause" : "Play");
    play.setAttribute("title", on ? "Pause" : "Play");
    setIcon(play, on ? "pause" : "play");
    player.classList.toggle("bp-playing", on);
  }
  function pause() {
    if (!playing) return;
    clearTimeout(timer);
    timer = null;
    setPlaying(false);
    onStep(current);
  }
  function start() {
    if (current >= reachable()) goTo(0);
    setPlaying(true);
    // Each tick is scheduled from the start time, so slow frames do not make play drift.
    const t0 = performance.now();
    const k0 = current;
    let n = 0;
    const tick = () => {
      n += 1;
      goTo(k0 + n);
      if (current >= reachable()) { pause(); return; }
      timer = setTimeout(tick, Math.max(0, t0 + (n + 1) * seconds * 1000 - performance.now()));
    };
    timer = setTimeout(tick, seconds * 1000);
  }
  const toggle = () => (playing ? pause() : start());

  first.addEventListener("click", () => { pause(); goTo(0); });
  prev.addEventListener("click", () => { pause(); goTo(current - 1); });
  next.addEventListener("click", () => { pause(); goTo(current + 1); });
  end.addEventListener("click", () => { pause(); goTo(reachable()); });
  play.addEventListener("click", toggle);
  slider.addEventListener("input", () => { pause(); goTo(slider.value); });
  speed.addEventListener("change", () => {
    seconds = Number(speed.value);
    if (playing) { pause(); start(); }
  });

  // -- keyboard: ← → step, space plays; Home/End. Only for the player last used on the page,
  // and never while the student is typing in a field.
  mountPlayer.active = mountPlayer.active || null;
  const activate = () => { mountPlayer.active = api; };
  player.addEventListener("pointerdown", activate);
  player.addEventListener("focusin", activate);
  function onKey(event) {
    if (mountPlayer.active && mountPlayer.active !== api) return;
    const target = event.composedPath ? event.composedPath()[0] : event.target;
    const tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    const typing = (tag === "input" && target !== slider) || tag === "textarea" ||
      tag === "select" || (target && target.isContentEditable);
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (presenter.onKey(event, tag)) return;  // blank, full screen, help, speaker view
    const keys = {
      ArrowRight: () => { pause(); goTo(current + 1); },
      ArrowLeft: () => { pause(); goTo(current - 1); },
      // Presentation clickers send PageDown/PageUp; n/p as in reveal.js.
      PageDown: () => { pause(); goTo(current + 1); },
      PageUp: () => { pause(); goTo(current - 1); },
      n: () => { pause(); goTo(current + 1); },
      p: () => { pause(); goTo(current - 1); },
      Home: () => { pause(); goTo(0); },
      End: () => { pause(); goTo(reachable()); },
      " ": toggle,
    };
    const action = keys[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!action) return;
    if (tag === "button" && event.key === " ") return;  // the button's own click handles it
    event.preventDefault();
    action();
  }
  document.addEventListener("keydown", onKey);

  // -- downloads: the diagram of the current step, with its stylesheet inside ---------------
  // As `python -m drawing --svg-dir` writes it (drawing/diagram.py, Diagram.svg_at): the size
  // is the width and height the laid-out picture carries (points, as Graphviz measures), not
  // the size it has on screen, which the zoom sets in the style attribute.
  function svgText() {
    const copy = svg.cloneNode(true);
    copy.removeAttribute("style");
    const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
    style.textContent = deck.css;
    copy.insertBefore(style, copy.firstChild);
    copy.setAttribute("class", "bp-diagram bp-theme-" + options.theme);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    return '<?xml version="1.0" encoding="UTF-8"?>\n' +
      new XMLSerializer().serializeToString(copy);
  }
  function download(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
  const fileName = (ext) => "backprop-step-" + current + "." + ext;
  saveSvg.addEventListener("click", () =>
    download(new Blob([svgText()], { type: "image/svg+xml" }), fileName("svg")));
  savePng.addEventListener("click", () => {
    const image = new Image();
    const box = svg.viewBox.baseVal;
    const scale = 2;  // sharp on a projector
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(box.width * scale);
      canvas.height = Math.round(box.height * scale);
      const context = canvas.getContext("2d");
      context.fillStyle = dark() ? "#14161a" : "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob((blob) => download(blob, fileName("png")), "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText());
  });

  // -- what-if: the same function at another point (or another mode, or eps) ----------------
  // The deck has the same shape: the same boxes and steps. Its frames replace the old ones,
  // the student stays on their step, and what changed is marked for a moment.
  function textsOf() {
    const texts = new Map();
    for (const [id, node] of elements) texts.set(id, node.textContent);
    return texts;
  }
  function swap(next) {
    const k = current;
    const to = ahead !== null ? ahead : k;
    const before = textsOf();
    const explained = frames[k].html;
    // The whole deck after its first steps has the same picture: only the frames change.
    const samePicture = next.svg === deck.svg;
    // In place: the same deck object, frames array and <svg> element, so everything holding
    // them (the presenter code) sees the new deck.
    frames.splice(0, frames.length, ...next.frames);
    Object.assign(deck, next, { frames });
    last = Math.min(reachable(), frames.length - 1);
    slider.max = String(last);
    if (!samePicture) {
      const holder = document.createElement("div");
      holder.innerHTML = next.svg;
      const fresh = holder.querySelector("svg");
      for (const name of ["viewBox", "width", "height"]) svg.setAttribute(name, fresh.getAttribute(name));
      svg.replaceChildren(...fresh.childNodes);
      collectElements();
      bpCollapsedBoxes(svg, deck, options, () => current);
      zoom.changed();
    }
    const kept = chosen;
    current = -1;
    goTo(to);
    chosen = kept;
    markChanged(before, explained);
  }
  // Marked until the student steps on; the glow itself is brief (player.css).
  let marked = [];
  function clearChanged() {
    for (const node of marked) node.classList.remove("bp-changed");
    marked = [];
  }
  function markChanged(before, explained) {
    clearChanged();
    for (const [id, node] of elements) {
      if (before.get(id) !== node.textContent) {
        node.classList.add("bp-changed");
        marked.push(node);
      }
    }
    // The explanation: each paragraph or table row whose text changed.
    const old = document.createElement("div");
    old.innerHTML = explained;
    const oldParts = old.querySelectorAll("p, tr");
    const parts = explain.querySelectorAll("p, tr");
    let any = false;
    parts.forEach((part, i) => {
      if (oldParts[i] && oldParts[i].textContent !== part.textContent) {
        part.classList.add("bp-changed");
        any = true;
      }
    });
    if (any || marked.length) {
      explain.insertBefore(el("span", { class: "bp-changed-mark", text: "changed" }),
                           explain.firstChild);
    }
  }

  const api = {
    goTo, pause, swap,
    setTheme(name) { setTheme(name); presenter.restyle(); },
    get step() { return current; },
    get shape() { return deck.shape; },
    get family() { return deck.family; },
    get deck() { return deck; },
    get chosen() { return chosen; },
    get zoom() { return zoom.level; },  // the zoom the student chose; null at fit to view
    destroy() {
      pause();
      document.removeEventListener("keydown", onKey);
      presenter.destroy();
      zoom.destroy();
      layout.destroy();
      if (mountPlayer.active === api) mountPlayer.active = null;
      root.textContent = "";
    },
  };
  if (!mountPlayer.active) mountPlayer.active = api;
  const presenter = presenterMode({
    player, deck, svg, elements, explain, options, phaseTitle, controls: extra,
    step: () => current, goTo, pause, toggle,
  });
  goTo(options.step || 0);
  zoom.show();
  chosen = options.chosen || null;
  return api;
}

// -- What the app sends a player (ui/player.py): bytes, a line of JSON (the player's options, its
// key, ...) then the deck's JSON. The deck is read when it is first asked for, once: a page's
// every run draws the player again with the same data, which its key then says is nothing new.
// Data that is not bytes is taken as it is.
// eslint-disable-next-line no-unused-vars
function bpComponentData(raw) {
  "use strict";
  if (!(raw instanceof Uint8Array)) return raw;
  const read = bpComponentData.read || (bpComponentData.read = new WeakMap());
  if (read.has(raw)) return read.get(raw);
  const decoder = new TextDecoder();
  const end = raw.indexOf(10);  // the line break after the head
  const data = JSON.parse(decoder.decode(raw.subarray(0, end)));
  let deck;
  Object.defineProperty(data, "deck", {
    enumerable: true,
    get() {
      if (deck === undefined) deck = JSON.parse(decoder.decode(raw.subarray(end + 1)));
      return deck;
    },
  });
  read.set(raw, data);
  return data;
}

// -- The same function with other subexpressions collapsed, or its constants hidden: a deck of
// the same family (deck.family) but another shape. Each frame says what its step is about
// (frame.key: its phase, the full graph's node and what the search does there; frame.node: that
// node's number) and deck.holds which of the full graph's nodes each box holds. From step k of
// `before`, the student lands on the same step where `after` has it; on the box's step of the
// same phase where the node is now inside a box; at the first step of a box's inside where the
// box they were on in the forward pass is expanded, so the next steps go through it; else on
// the nearest earlier step that is found. `chosen`: a step the student chose before landing on
// a box's step, found again once the box is expanded. Returns { step, chosen }.
// eslint-disable-next-line no-unused-vars
function bpCorrespondingStep(before, k, chosen, after) {
  "use strict";
  const frames = after.frames;
  const holds = after.holds || {};
  const first = (phase, test) => frames.findIndex((f) => f.phase === phase && test(f.node));
  const place = (frame) => {
    if (!frame || !frame.key) return -1;
    // (a box expanded may stay a box of an operation and its constants, holding less)
    const held = (before.holds || {})[frame.node];
    const now = holds[frame.node];
    if (held && frame.phase === "forward" && (!now || now.length < held.length)) {
      const inside = first("forward", (n) => held.includes(n));
      if (inside >= 0) return inside;
    }
    const same = frames.findIndex((f) => f.key === frame.key);
    if (same >= 0) return same;
    const box = Object.keys(holds).find((root) => holds[root].includes(frame.node));
    return box === undefined ? -1 : first(frame.phase, (n) => n === Number(box));
  };
  if (chosen) {
    const again = frames.findIndex((f) => f.key === chosen.key);
    if (again >= 0) return { step: again, chosen: null };
  }
  const from = before.frames[k];
  for (let j = Math.min(k, before.frames.length - 1); j >= 0; j--) {
    const step = place(before.frames[j]);
    if (step < 0) continue;
    // Kept to come back to: a step landed on only roughly, or a node now drawn as a box.
    const rough = j !== k || frames[step].key !== from.key ||
      (holds[from.node] && !(before.holds || {})[from.node]);
    return { step, chosen: rough ? chosen || { key: from.key } : chosen };
  }
  return { step: 0, chosen: null };
}

// -- Collapsed boxes: a subexpression drawn as one box (deck.boxes: element id -> its root's
// node number and its text). Each says what it holds; where the page can expand one
// (options.onExpand, the app), a click on it or Enter/Space on it asks for that (with the
// step shown); the student's place in the deck that comes back is bpCorrespondingStep's.
// eslint-disable-next-line no-unused-vars
function bpCollapsedBoxes(svg, deck, options, step) {
  "use strict";
  const expand = options.onExpand;
  for (const [id, box] of Object.entries(deck.boxes || {})) {
    const g = svg.querySelector("#" + CSS.escape(id));
    if (!g || g.bpBox) continue;
    g.bpBox = true;
    const tip = document.createElementNS("http://www.w3.org/2000/svg", "title");
    tip.textContent = "Collapsed: " + box.text + (expand ? ". Click to expand it." : "");
    g.prepend(tip);
    if (!expand) continue;
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.dataset.expand = String(box.node);
    let down = null;
    g.addEventListener("pointerdown", (event) => { down = [event.clientX, event.clientY]; });
    g.addEventListener("click", (event) => {
      // The end of a drag that pans the diagram is not a click on the box.
      if (down && Math.hypot(event.clientX - down[0], event.clientY - down[1]) >= 4) return;
      event.stopPropagation();
      g.classList.add("bp-expanding");
      expand({ node: box.node, step: step() });
    });
    g.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      event.stopPropagation();
      expand({ node: box.node, step: step() });
    });
  }
}

// -- Presenting and reading: what a lecture hall and a screen reader need beyond the stepping.
// A live region announces each step (its phase, number and first sentence); every box carries
// a text alternative (operation, value, grad, state) kept up to date per step; keys as in
// reveal.js blank the screen (b or .), go full screen (f), list the keys (?) and open the
// speaker view (s): a second window with the full explanation, the next step and a timer,
// stepping the main player and following it.
// eslint-disable-next-line no-unused-vars
function presenterMode(ctx) {
  "use strict";
  const { player, deck, svg, elements, explain, options } = ctx;
  const frames = deck.frames;
  const last = () => (deck.steps || frames.length) - 1;  // frames may still be the first ones
  const view = player.ownerDocument.defaultView || window;
  const make = (doc, tag, attrs, text) => {
    const node = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const mk = (tag, attrs, text) => make(player.ownerDocument, tag, attrs, text);

  // -- what a screen reader hears -------------------------------------------------------------
  const live = mk("div", { class: "bp-sr", role: "status", "aria-live": "polite",
                           "aria-atomic": "true" });
  player.appendChild(live);
  // The explanation scrolls where a step is long: a region the keyboard can reach and scroll.
  explain.setAttribute("role", "region");
  explain.setAttribute("aria-label", "Explanation of the step");
  explain.setAttribute("tabindex", "0");
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", "Diagram of " + deck.title +
                   ": one box per input, constant and operation");

  // MathML as words a screen reader speaks: v₃ = x · y reads "v3 = x · y", a fraction "a / b".
  function mathText(node) {
    if (node.nodeType === 3) return node.textContent;
    if (node.nodeType !== 1) return "";
    const name = node.localName;
    const parts = [...node.childNodes].map(mathText);
    if (name === "mfrac") return "(" + parts[0] + ") / (" + parts[1] + ")";
    if (name === "msup") return parts[0] + "^" + parts[1];
    if (name === "msub") return parts[0] + (/^\d+$/.test(parts[1]) ? "" : "_") + parts[1];
    if (name === "msqrt") return "sqrt(" + parts.join("") + ")";
    if (name === "mo") return " " + node.textContent.trim() + " ";
    return parts.join("");
  }
  function readable(element) {
    return element ? mathText(element).replace(/\s+/g, " ").trim() : "";
  }
  // The step's heading and its first sentence: short enough to hear at every step.
  function sentence(container) {
    const heading = readable(container.querySelector("h3"));
    const first = readable(container.querySelector("p"));
    const short = first.length > 220 ? first.slice(0, 220).replace(/\s\S*$/, "") + " …" : first;
    return [heading, short].filter(Boolean).join(". ");
  }

  const KINDS = { "bp-variable": "input", "bp-constant": "constant", "bp-operation": "operation" };
  // Every state in words, so neither a colour nor a line style is the only way to tell it.
  const STATES = [
    ["bp-output", "the output"], ["bp-pending", "not computed yet"], ["bp-known", "computed"],
    ["bp-stacked", "on the search stack"], ["bp-ordered", "placed in the order"],
    ["bp-waiting", "waiting for its gradient"], ["bp-done", "gradient complete"],
    ["bp-warn", "warning"], ["bp-current", "current step"], ["bp-reading", "read by this step"],
    ["bp-receiving", "receives d_out in this step"],
  ];
  function describeBox(g) {
    const classes = (g.getAttribute("class") || "").split(/\s+/);
    const lines = [];
    for (const text of g.querySelectorAll("text")) {
      lines[+text.dataset.line] = (text.textContent || "").trim();
    }
    const kind = Object.keys(KINDS).find((c) => classes.includes(c));
    // Lines: name, tag, value, grad, then any note (PyTorch's name for the box). A constant
    // has a value line only where it is a named number (π, e), so its note may come sooner.
    const [symbol = "", tag = ""] = lines;
    let value = lines[2] || "";
    let grad = lines[3] || "";
    let notes = lines.slice(4);
    if (kind === "bp-constant") {
      const numeric = /^[−-]?(\d|\.\d|inf|nan)/.test(value);
      notes = lines.slice(numeric ? 3 : 2);
      value = numeric ? value : "";
      grad = "";
    }
    let name = (kind ? KINDS[kind] + " " : "") + symbol + (tag ? " (" + tag + ")" : "");
    const facts = [];
    if (kind !== "bp-constant" || value) facts.push(value ? "value " + value : "no value yet");
    // The output starts the backward pass with grad 1; every other box sums the d_out it got.
    if (grad) facts.push(grad + (classes.includes("bp-output") ? "" : " (d_out received)"));
    facts.push(...notes.filter(Boolean));
    const states = STATES.filter(([c]) => classes.includes(c)).map(([, words]) => words);
    name += ": " + facts.concat(states).join(", ");
    g.setAttribute("aria-label", name);
  }
  // An edge by the box it feeds: bp-e<target>-<position> is that box's input <position + 1>.
  function describeEdge(g) {
    const texts = [...g.querySelectorAll("text")].map((t) => (t.textContent || "").trim());
    const [forward = "", backward = ""] = texts;
    const facts = [];
    if (forward) facts.push("passes " + forward + " forward");
    if (backward) facts.push("sends d_out " + backward.replace(/^←\s*/, "") + " back");
    const [, target, position] = /^bp-e(\d+)-(\d+)$/.exec(g.id) || [];
    const box = elements.get("bp-n" + target);
    let into = "";
    if (box) {
      const lines = [...box.querySelectorAll("text")].map((t) => (t.textContent || "").trim());
      const tag = (lines[1] || "").split(" · ")[0];
      into = " of " + lines[0] + (tag ? " (" + tag + ")" : "");
    }
    g.setAttribute("aria-label", "input " + (Number(position) + 1) + into + ": " +
                   (facts.length ? facts.join(", ") : "nothing passed yet"));
  }
  for (const [id, g] of elements) {
    if (id.startsWith("bp-n") || id.startsWith("bp-e")) g.setAttribute("role", "img");
  }

  // -- blank screen, full screen, the keys overlay -------------------------------------------
  const blank = mk("div", { class: "bp-blank", hidden: "", role: "note", tabindex: "-1",
                            "aria-label": "Screen blanked: press B or . to show the slide" });
  blank.addEventListener("click", () => setBlank(false));
  player.appendChild(blank);
  let blanked = false;
  function setBlank(on) {
    blanked = on;
    blank.hidden = !on;
    player.classList.toggle("bp-blanked", on);
    if (on) blank.focus({ preventScroll: true });
    speakerShow();
  }
  function toggleFullscreen() {
    const doc = player.ownerDocument;
    if (doc.fullscreenElement) {
      doc.exitFullscreen().catch(() => {});
    } else if (player.requestFullscreen) {
      player.requestFullscreen().catch(() => {});
    }
  }

  const KEYS = [
    ["→  PageDown  n", "Next step"],
    ["←  PageUp  p", "Previous step"],
    ["Home  End", "First step, last step"],
    ["Space", "Play or pause"],
    ["b  .", "Blank the screen (again to show it)"],
    ["f", "Full screen (again to leave)"],
    ["s", "Speaker view: explanation, next step and timer in a second window"],
    ["?", "This list (Esc closes it)"],
  ];
  const helpId = "bp-help-" + Math.random().toString(36).slice(2, 8);
  const help = mk("div", { class: "bp-help", hidden: "", role: "dialog", "aria-modal": "true",
                           "aria-labelledby": helpId });
  const helpBox = mk("div", { class: "bp-help-box" });
  helpBox.appendChild(mk("h2", { id: helpId }, "Keyboard shortcuts"));
  const table = mk("table", { class: "bp-keys" });
  for (const [keys, what] of KEYS) {
    const row = mk("tr");
    const th = mk("th", { scope: "row" });
    keys.split("  ").forEach((k, i) => {
      if (i) th.appendChild(player.ownerDocument.createTextNode(" "));
      th.appendChild(mk("kbd", {}, k));
    });
    row.append(th, mk("td", {}, what));
    table.appendChild(row);
  }
  const closeHelp = mk("button", { type: "button", class: "bp-button bp-help-close" }, "Close");
  helpBox.append(table, closeHelp);
  help.appendChild(helpBox);
  help.addEventListener("click", (event) => { if (event.target === help) setHelp(false); });
  closeHelp.addEventListener("click", () => setHelp(false));
  player.appendChild(help);
  let helpOpen = false;
  let returnFocus = null;
  function setHelp(on) {
    if (on === helpOpen) return;
    helpOpen = on;
    help.hidden = !on;
    if (on) {
      const root = player.getRootNode();
      returnFocus = root.activeElement || null;
      closeHelp.focus();
    } else if (returnFocus && returnFocus.isConnected && returnFocus.focus) {
      returnFocus.focus();
    } else {
      player.focus({ preventScroll: true });
    }
  }

  // Buttons for the same, beside the downloads (hidden where the extras are, keys still work).
  const keysButton = mk("button", { type: "button", class: "bp-button bp-keys-button",
                                    "aria-label": "Keyboard shortcuts", title: "Keyboard shortcuts (?)" },
                        "?");
  keysButton.addEventListener("click", () => setHelp(true));
  const speakerButton = mk("button", { type: "button", class: "bp-button bp-speaker-button",
                                       "aria-label": "Speaker view",
                                       title: "Speaker view (s): a second window" });
  speakerButton.innerHTML = '<svg viewBox="0 0 24 24" width="1em" height="1em" ' +
    'aria-hidden="true"><path fill="currentColor" ' +
    'd="M3 4h18v2H3zM3 14h18v2H3zM3 6h2v8H3zM19 6h2v8h-2zM8 19h8v2H8zM11 16h2v3h-2z"/></svg>';
  speakerButton.addEventListener("click", () => openSpeaker());
  ctx.controls.append(speakerButton, keysButton);

  // -- the speaker view -----------------------------------------------------------------------
  // A window of the same origin (about:blank), written and updated from here: it needs no file
  // or server of its own, so it works for the slide file opened from disk and inside the app.
  let speaker = null;
  let speakerParts = null;
  let startedAt = 0;
  let clock = null;
  const SPEAKER_CSS = `
    html, body { margin: 0; height: 100%; }
    body { font: 20px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans",
           Arial, sans-serif; background: #14161a; color: #eef1f6; display: flex;
           flex-direction: column; }
    header, footer { display: flex; gap: 16px; align-items: center; padding: 10px 18px;
                     background: #1f232b; flex-wrap: wrap; }
    header .sp-count { font-weight: 700; font-variant-numeric: tabular-nums; }
    header .sp-phase { font-weight: 700; padding: 2px 10px; border-radius: 999px;
                       background: #495057; color: #fff; }
    header .sp-timer { font: 700 32px/1 ui-monospace, "DejaVu Sans Mono", monospace;
                       margin-left: auto; font-variant-numeric: tabular-nums; }
    header .sp-blank { color: #ffd43b; font-weight: 700; }
    main { flex: 1 1 auto; display: grid; grid-template-columns: 3fr 2fr; gap: 14px;
           padding: 14px 18px; min-height: 0; }
    section { min-height: 0; overflow: auto; background: #1f232b; border-radius: 8px;
              padding: 10px 16px; }
    section > h2 { margin: 0 0 6px; font-size: 0.8em; text-transform: uppercase;
                   letter-spacing: 0.06em; color: #c3cad6; }
    .sp-now .sp-text { font-size: 1.25em; }
    .sp-next { opacity: 0.9; }
    .sp-diagram { background: #ffffff; border-radius: 6px; padding: 4px; margin-bottom: 8px; }
    .sp-diagram svg { width: 100%; height: auto; max-height: 38vh; display: block; }
    h3 { margin: 0 0 6px; font-size: 1.05em; }
    p { margin: 6px 0; }
    .bp-warning { color: #ffa94d; font-weight: 600; }
    .bp-check { border-collapse: collapse; margin-top: 10px; font-size: 0.9em; }
    .bp-check caption { text-align: left; font-weight: 600; }
    .bp-check th, .bp-check td { border: 1px solid #3a404c; padding: 2px 8px; text-align: right; }
    button { font: inherit; padding: 6px 16px; border-radius: 6px; border: 2px solid #9aa3b2;
             background: #2b303b; color: #eef1f6; cursor: pointer; }
    button:focus-visible { outline: 3px solid #ff922b; outline-offset: 2px; }
    footer .sp-keys { color: #c3cad6; font-size: 0.8em; }
  `;
  function speakerKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const tag = event.target && event.target.tagName ? event.target.tagName.toLowerCase() : "";
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const step = (d) => { ctx.pause(); ctx.goTo(ctx.step() + d); };
    const actions = {
      ArrowRight: () => step(1), PageDown: () => step(1), n: () => step(1),
      ArrowLeft: () => step(-1), PageUp: () => step(-1), p: () => step(-1),
      Home: () => { ctx.pause(); ctx.goTo(0); }, End: () => { ctx.pause(); ctx.goTo(last()); },
      " ": ctx.toggle, b: () => setBlank(!blanked), ".": () => setBlank(!blanked),
      t: resetTimer,
    };
    const action = actions[key];
    if (!action || (tag === "button" && (key === " " || key === "Enter"))) return;
    event.preventDefault();
    action();
  }
  function resetTimer() {
    startedAt = presenterMode.startedAt = Date.now();
    tick();
  }
  function tick() {
    if (!speakerParts || !speaker || speaker.closed) {
      clearInterval(clock);
      clock = null;
      return;
    }
    const seconds = Math.floor((Date.now() - startedAt) / 1000);
    const mm = String(Math.floor(seconds / 60)).padStart(2, "0");
    const ss = String(seconds % 60).padStart(2, "0");
    speakerParts.timer.textContent = mm + ":" + ss;
  }
  function openSpeaker(adopt) {
    if (!adopt && speaker && !speaker.closed) { speaker.focus(); return; }
    const w = adopt || view.open("", "backprop-speaker", "popup,width=1100,height=760");
    if (!w) return;  // a blocked pop-up: nothing to show
    speaker = presenterMode.speaker = w;
    const d = w.document;
    d.open();
    d.write("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title></title>" +
            "</head><body></body></html>");
    d.close();
    d.title = "Speaker view · " + deck.title;
    const style = make(d, "style");
    style.textContent = SPEAKER_CSS + "\n" + deck.css;
    d.head.appendChild(style);
    const phase = make(d, "span", { class: "sp-phase" });
    const count = make(d, "span", { class: "sp-count" });
    const blankNote = make(d, "span", { class: "sp-blank" });
    const timer = make(d, "span", { class: "sp-timer", role: "timer", "aria-label": "Time" },
                       "00:00");
    const reset = make(d, "button", { type: "button" }, "Reset timer");
    const header = make(d, "header");
    header.append(phase, count, blankNote, timer, reset);
    const now = make(d, "section", { class: "sp-now", "aria-labelledby": "sp-now-title" });
    const nowTitle = make(d, "h2", { id: "sp-now-title" }, "Now");
    const diagram = make(d, "div", { class: "sp-diagram bp-theme-light", "aria-hidden": "true" });
    const nowText = make(d, "div", { class: "sp-text", "aria-live": "polite" });
    now.append(nowTitle, diagram, nowText);
    const next = make(d, "section", { class: "sp-next", "aria-labelledby": "sp-next-title" });
    const nextTitle = make(d, "h2", { id: "sp-next-title" }, "Next");
    const nextText = make(d, "div", { class: "sp-text" });
    next.append(nextTitle, nextText);
    const main = make(d, "main");
    main.append(now, next);
    const back = make(d, "button", { type: "button" }, "◀ Previous step");
    const forward = make(d, "button", { type: "button" }, "Next step ▶");
    const footer = make(d, "footer");
    footer.append(back, forward, make(d, "span", { class: "sp-keys" },
      "Keys here step the slides too: → ← PageDown PageUp n p, Space plays, b blanks, " +
      "t resets the timer."));
    d.body.append(header, main, footer);
    back.addEventListener("click", () => { ctx.pause(); ctx.goTo(ctx.step() - 1); });
    forward.addEventListener("click", () => { ctx.pause(); ctx.goTo(ctx.step() + 1); });
    reset.addEventListener("click", resetTimer);
    d.addEventListener("keydown", speakerKey);
    speakerParts = { phase, count, blankNote, timer, diagram, nowText, nextTitle, nextText,
                     back, forward };
    startedAt = adopt && presenterMode.startedAt ? presenterMode.startedAt : Date.now();
    presenterMode.startedAt = startedAt;
    clearInterval(clock);
    clock = setInterval(tick, 1000);
    speakerShow();
  }
  // A slide file that closes takes its speaker view along.
  const closeSpeaker = () => { if (speaker && !speaker.closed) speaker.close(); };
  view.addEventListener("pagehide", closeSpeaker);
  // A player mounted again (the app shows a new function) takes over an open speaker view.
  if (presenterMode.speaker && !presenterMode.speaker.closed) openSpeaker(presenterMode.speaker);

  function speakerShow() {
    if (!speakerParts || !speaker || speaker.closed) return;
    const k = ctx.step();
    if (k < 0) return;
    const parts = speakerParts;
    const frame = frames[k];
    parts.phase.textContent = ctx.phaseTitle(frame);
    parts.count.textContent = "Step " + k + " of " + last();
    parts.blankNote.textContent = blanked ? "Screen blanked (b shows it)" : "";
    const copy = svg.cloneNode(true);
    copy.removeAttribute("style");
    for (const node of copy.querySelectorAll("[aria-label]")) node.removeAttribute("aria-label");
    parts.diagram.className = "sp-diagram bp-theme-" + options.theme;
    parts.diagram.style.background = options.theme === "dark" ? "#14161a" : "#ffffff";
    parts.diagram.replaceChildren(copy);
    parts.nowText.innerHTML = frame.html;
    if (k < last()) {
      parts.nextTitle.textContent = "Next: step " + (k + 1);
      parts.nextText.innerHTML = k + 1 < frames.length ? frames[k + 1].html : "";
    } else {
      parts.nextTitle.textContent = "Next";
      parts.nextText.textContent = "This is the last step.";
    }
    parts.back.disabled = k === 0;
    parts.forward.disabled = k === last();
  }

  // -- a long step on a slide: smaller type rather than a cut-off explanation -----------------
  // On a slide (the file, presenter mode, an embed) the explanation has a fixed share of the
  // height; a step too long for it (a warning, the last step's check) steps its type down,
  // to no less than 70 %, so nothing is cut off.
  const fitted = () => player.closest(".bp-slide") || options.present || options.embed;
  function fitExplanation() {
    explain.style.fontSize = "";
    if (!fitted()) return;
    for (let scale = 0.95; scale >= 0.7 && explain.scrollHeight > explain.clientHeight + 1;
      scale -= 0.05) {
      explain.style.fontSize = scale.toFixed(2) + "em";
    }
  }
  let refit = null;
  const onResize = () => {
    cancelAnimationFrame(refit);
    refit = requestAnimationFrame(fitExplanation);
  };
  view.addEventListener("resize", onResize);

  // -- per step --------------------------------------------------------------------------------
  function show(k, from) {
    // Text alternatives of the elements this step's patches touched; at a replay from the
    // start, of every element, since a box no frame patches (a constant) still needs one.
    const touched = from === 0 ? [...elements.keys()]
      : frames.slice(from, k + 1).flatMap((frame) => Object.keys(frame.patch));
    for (const id of touched) {
      const g = elements.get(id);
      if (!g) continue;
      if (id.startsWith("bp-n")) describeBox(g);
      else if (id.startsWith("bp-e")) describeEdge(g);
    }
    fitExplanation();
    live.textContent = "Step " + k + " of " + last() + ". " + sentence(explain);
    // A button just disabled (Next at the last step) would drop the keyboard's focus to the
    // page's start; the step slider beside it keeps the place instead.
    const focused = player.getRootNode().activeElement;
    if (focused && focused.disabled && player.contains(focused)) {
      const slider = player.querySelector(".bp-slider");
      if (slider) slider.focus({ preventScroll: true });
    }
    speakerShow();
  }

  // Keys of presenting; true when the key was one of them (or is held back by an overlay).
  function onKey(event, tag) {
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (helpOpen) {
      if (key === "Escape" || key === "?") { event.preventDefault(); setHelp(false); return true; }
      if (key === "Tab") { event.preventDefault(); closeHelp.focus(); return true; }
      if (tag === "button" && (key === " " || key === "Enter")) return true;
      event.preventDefault();
      return true;
    }
    if (blanked) {
      if (key === "b" || key === "." || key === "Escape") setBlank(false);
      event.preventDefault();
      return true;
    }
    const actions = {
      b: () => setBlank(true), ".": () => setBlank(true), f: toggleFullscreen,
      s: openSpeaker, "?": () => setHelp(true),
    };
    const action = actions[key];
    if (!action) return false;
    event.preventDefault();
    action();
    return true;
  }

  return {
    show, onKey,
    restyle: speakerShow,  // the speaker view's diagram in the player's theme
    destroy() {  // the speaker view stays open for the next player mounted in this page
      view.removeEventListener("pagehide", closeSpeaker);
      view.removeEventListener("resize", onResize);
      clearInterval(clock);
      clock = null;
      if (speaker && !speaker.closed) speaker.document.removeEventListener("keydown", speakerKey);
    },
  };
}

// In the app, the page's address holds the function, the point and the step: copy it.
// An icon button; what happened shows in place of the icon for a moment.
function linkButton(options, setIcon) {
  if (!options.link) return [];
  const b = document.createElement("button");
  b.type = "button";
  b.className = "bp-button bp-save bp-link";
  b.setAttribute("aria-label", "Copy link");
  b.title = "Copy a link to this function, point and step";
  setIcon(b, "link");
  b.addEventListener("click", () => {
    const done = (text) => {
      b.textContent = text;
      setTimeout(() => setIcon(b, "link"), 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(location.href).then(() => done("Copied"),
                                                        () => done("Copy failed"));
    } else {
      done("Copy failed");
    }
  });
  return [b];
}

// -- Zoom, pan and fit: graphs of any size ---------------------------------------------------
// Zooming sets only the diagram's size on screen and panning scrolls the stage: the layout never
// changes. Fit to view is the default, but the smallest text never renders below 11 px: a graph
// too large for that fits its width at a readable size (or shows at that size) and the view
// follows the step's box. The buttons sit over the diagram's corner; Ctrl + wheel (or a pinch)
// zooms at the pointer, dragging pans, and the keys + - 0 zoom in, out and fit.
// eslint-disable-next-line no-unused-vars
function zoomView(ctx) {
  "use strict";
  const { player, stage, svg, options } = ctx;
  const MIN_TEXT_PX = 11;
  const SMALLEST_TEXT = 12;          // the smallest font size in assets/diagram.css, in units
  const READABLE = MIN_TEXT_PX / SMALLEST_TEXT;
  const MAX_FIT = 2;                 // a three-box graph is not blown up to poster size
  const MIN_ZOOM = 0.1;
  const MAX_ZOOM = 8;
  const STEP = 1.25;
  // null: fit to view; else pixels per diagram unit. A player mounted in place of another of
  // the same function (a box expanded or collapsed) starts at the zoom chosen there.
  let zoom = Number.isFinite(options.zoom) && options.zoom > 0 ?
    Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, options.zoom)) : null;
  let shown = 1;                     // the scale on screen
  const doc = player.ownerDocument;
  // A diagram mounted out of the layout (display: none, mountPlayer) is fitted and followed
  // once it is shown: its size on screen is set before its first layout.
  let drawn = svg.style.display !== "none";

  const size = () => svg.viewBox.baseVal;
  function room() {
    const style = getComputedStyle(stage);
    return {
      w: stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
      h: stage.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom),
    };
  }
  function fitScale() {
    const box = size();
    const { w, h } = room();
    if (!box || !box.width || w <= 0) return shown;
    const slide = options.present || player.closest(".bp-slide") || doc.fullscreenElement === player;
    const cap = slide ? Infinity : MAX_FIT;
    const whole = Math.min(w / box.width, h > 0 ? h / box.height : Infinity, cap);
    if (whole >= READABLE) return whole;
    return Math.max(Math.min(w / box.width, cap), READABLE);
  }
  // Only what differs is written: the same size again would lay the whole diagram out again.
  const put = (style, name, value) => {
    if (style.getPropertyValue(name) !== value) style.setProperty(name, value);
  };
  function apply(scale) {
    const box = size();
    shown = scale;
    put(svg.style, "width", +(box.width * scale).toFixed(1) + "px");  // as the style reads back
    put(svg.style, "height", +(box.height * scale).toFixed(1) + "px");
    const level = zoom === null ? "fit" : String(Math.round(scale * 100));
    if (player.dataset.zoom !== level) player.dataset.zoom = level;
    const pressed = zoom === null ? "true" : "false";
    if (fitButton.getAttribute("aria-pressed") !== pressed) {
      fitButton.setAttribute("aria-pressed", pressed);
    }
  }
  function zoomTo(scale, x, y) {
    scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, scale));
    const frame = stage.getBoundingClientRect();
    if (x === undefined) {
      x = frame.left + stage.clientWidth / 2;
      y = frame.top + stage.clientHeight / 2;
    }
    // Keep the diagram point under (x, y) where it is.
    const before = svg.getBoundingClientRect();
    const ux = (x - before.left) / shown;
    const uy = (y - before.top) / shown;
    zoom = scale;
    apply(scale);
    const after = svg.getBoundingClientRect();
    stage.scrollLeft += after.left + ux * scale - x;
    stage.scrollTop += after.top + uy * scale - y;
  }
  function fit() {
    zoom = null;
    apply(fitScale());
    follow();
  }
  // The step's box in view: scrolled to the middle when any of it is outside the visible part.
  // `start`: when the diagram is first shown, at a step with no box of its own (the start),
  // the first input, where the forward pass begins, rather than the picture's corner.
  function follow(start) {
    const target = !drawn ? null : svg.querySelector("g.bp-current") ||
      (start === true ? svg.querySelector("g.bp-variable") : null);
    if (!target) return;
    const t = target.getBoundingClientRect();
    const s = stage.getBoundingClientRect();
    const left = s.left + stage.clientLeft;
    const top = s.top + stage.clientTop;
    const inside = t.left >= left && t.right <= left + stage.clientWidth &&
      t.top >= top && t.bottom <= top + stage.clientHeight;
    if (inside) return;
    stage.scrollLeft += t.left + t.width / 2 - (left + stage.clientWidth / 2);
    stage.scrollTop += t.top + t.height / 2 - (top + stage.clientHeight / 2);
  }

  // -- the buttons over the diagram, and the legend -----------------------------------------
  const ICONS = {
    out: "M5 11h14v2H5z",
    in: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
    fit: "M4 4h6v2H6v4H4zM20 4v6h-2V6h-4V4zM4 20v-6h2v4h4v2zM20 20h-6v-2h4v-4h2z",
    full: "M3 3h7v2H5v5H3zM21 3v7h-2V5h-5V3zM3 21v-7h2v5h5v2zM21 21h-7v-2h5v-5h2zM8 8h8v8H8z",
  };
  const make = (tag, attrs, text) => {
    const node = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const iconButton = (label, icon, keys) => {
    const b = make("button", { type: "button", class: "bp-button bp-zoom-button",
                               "aria-label": label, title: label + (keys ? " (" + keys + ")" : "") });
    b.innerHTML = '<svg viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true">' +
      '<path fill="currentColor" d="' + ICONS[icon] + '"/></svg>';
    return b;
  };
  const outButton = iconButton("Zoom out", "out", "−");
  const inButton = iconButton("Zoom in", "in", "+");
  const fitButton = iconButton("Fit to view", "fit", "0");
  const fullButton = iconButton("Full screen", "full");
  const legendButton = make("button", { type: "button", class: "bp-button bp-zoom-button bp-legend-button",
                                        "aria-expanded": "false", "aria-label": "Legend",
                                        title: "Legend: what the colours mean" });
  // Colour swatches beside lines; the word too where there is room (not on a phone).
  legendButton.innerHTML = '<svg viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true">' +
    '<path fill="currentColor" d="M3 4h5v5H3zM10 5.5h11v2H10zM3 10h5v5H3zM10 11.5h11v2H10z' +
    'M3 16h5v5H3zM10 17.5h11v2H10z"/></svg><span class="bp-legend-word">Legend</span>';
  const tools = make("div", { class: "bp-zoom", role: "toolbar", "aria-label": "Diagram view" });
  tools.append(outButton, inButton, fitButton, fullButton, legendButton);
  outButton.addEventListener("click", () => zoomTo(shown / STEP));
  inButton.addEventListener("click", () => zoomTo(shown * STEP));
  fitButton.addEventListener("click", fit);
  fullButton.addEventListener("click", () => {
    if (doc.fullscreenElement) doc.exitFullscreen().catch(() => {});
    else if (player.requestFullscreen) player.requestFullscreen().catch(() => {});
  });

  // What yellow, green, orange, red and dashed mean: the real classes of the diagram, drawn small.
  const LEGEND = [
    ["bp-node bp-pending", "Dashed: not computed yet"],
    ["bp-node bp-known", "Computed: the blue number is its value"],
    ["bp-node bp-current", "Orange outline: the box of this step"],
    ["bp-node bp-known bp-reading", "Blue outline: read by this step"],
    ["bp-node bp-stacked", "Yellow: visited by the search, not yet in the order"],
    ["bp-node bp-ordered", "Green: in the topological order (#n: its place)"],
    ["bp-node bp-waiting", "Dashed in the backward pass: waiting for its d_out"],
    ["bp-node bp-receiving", "Red outline: receives d_out in this step"],
    ["bp-node bp-done", "Red: backward step done; the red number is its d_out"],
    ["bp-node bp-warn", "Orange fill: nan or inf appeared here"],
    ["bp-edge bp-passed", "Edge: the blue number is the value passed forward"],
    ["bp-edge bp-sent", "Red dashed edge: the d_out sent back along it (← number)"],
  ];
  const legend = make("div", { class: "bp-legend", hidden: "", role: "note",
                               "aria-label": "What the colours mean" });
  const list = make("ul");
  // Drawn when first opened: until then the page holds only the diagram's own boxes.
  const drawLegend = () => {
    if (list.childNodes.length) return;
    for (const [classes, words] of LEGEND) {
    const item = make("li");
    const edge = classes.startsWith("bp-edge");
    item.innerHTML = '<svg class="bp-diagram" viewBox="0 0 40 22" width="40" height="22" ' +
      'aria-hidden="true"><g class="' + classes + '">' +
      (edge ? '<path d="M3 11H33"/><polygon points="33,7 39,11 33,15"/>'
            : '<path d="M6 2H34Q38 2 38 6V16Q38 20 34 20H6Q2 20 2 16V6Q2 2 6 2Z"/>') +
      "</g></svg>";
    item.appendChild(make("span", {}, words));
    list.appendChild(item);
    }
  };
  legend.appendChild(list);
  legendButton.addEventListener("click", () => {
    drawLegend();
    legend.hidden = !legend.hidden;
    legendButton.setAttribute("aria-expanded", legend.hidden ? "false" : "true");
  });
  if (ctx.before && ctx.before.parentNode === ctx.home) ctx.home.insertBefore(tools, ctx.before);
  else ctx.home.appendChild(tools);
  ctx.view.appendChild(legend);

  // -- pointer: Ctrl + wheel or a pinch zooms at the pointer, a drag pans --------------------
  stage.addEventListener("wheel", (event) => {
    if (!event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    zoomTo(shown * Math.exp(-event.deltaY * 0.0025), event.clientX, event.clientY);
  }, { passive: false });
  const touches = new Map();
  let pinch = null;
  let drag = null;
  const spread = () => {
    const [a, b] = [...touches.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  stage.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "touch") {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (touches.size === 2) pinch = { start: spread().d, scale: shown };
      return;
    }
    if (event.button !== 0) return;
    drag = { id: event.pointerId, x: event.clientX, y: event.clientY,
             left: stage.scrollLeft, top: stage.scrollTop, moved: false };
  });
  stage.addEventListener("pointermove", (event) => {
    if (touches.has(event.pointerId)) {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && touches.size === 2) {
        const now = spread();
        if (pinch.start > 0) zoomTo(pinch.scale * now.d / pinch.start, now.x, now.y);
      }
      return;
    }
    if (!drag || drag.id !== event.pointerId) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      stage.setPointerCapture(event.pointerId);
      stage.classList.add("bp-dragging");
    }
    stage.scrollLeft = drag.left - dx;
    stage.scrollTop = drag.top - dy;
  });
  const release = (event) => {
    touches.delete(event.pointerId);
    if (touches.size < 2) pinch = null;
    if (drag && drag.id === event.pointerId) {
      drag = null;
      stage.classList.remove("bp-dragging");
    }
  };
  stage.addEventListener("pointerup", release);
  stage.addEventListener("pointercancel", release);

  // -- keys + - 0, for the player in use, never while typing in a field ----------------------
  function onKey(event) {
    if (!ctx.active()) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.composedPath ? event.composedPath()[0] : event.target;
    const tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" ||
        (target && target.isContentEditable)) return;
    const actions = { "+": () => zoomTo(shown * STEP), "=": () => zoomTo(shown * STEP),
                      "-": () => zoomTo(shown / STEP), "0": fit };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }
  doc.addEventListener("keydown", onKey);

  // Fitting follows the stage's size (window, full screen, presenter mode), and the step's box
  // stays in view when the stage settles into its size after a new deck is mounted.
  const resized = new ResizeObserver(() => {
    if (zoom === null) apply(fitScale());
    follow();
  });
  resized.observe(stage);
  if (drawn) apply(zoom === null ? fitScale() : zoom);

  return {
    follow,
    // The diagram into the layout at the size that fits the stage as arranged now.
    show() {
      if (drawn) return;
      drawn = true;
      apply(zoom === null ? fitScale() : zoom);
      svg.style.removeProperty("display");
      follow(true);
    },
    get level() { return zoom; },  // null at fit to view
    // A new deck of the same shape may be laid out a little wider or narrower.
    changed() { apply(zoom === null ? fitScale() : zoom); },
    destroy() {
      doc.removeEventListener("keydown", onKey);
      resized.disconnect();
    },
  };
}

// -- Where the explanation goes, in a page (a slide's clean view and presenter mode have their
// own fixed layout in player.css): beside the diagram or under it, whichever shows more of the
// diagram at a readable size, counting beside as a little better (short lines read better than
// lines across the whole page, and a long step's check then has the player's full height);
// on a narrow player (a phone) everything in one column, the step controls right under the
// diagram and the explanation after them. Decided from the player's size and the diagram's
// shape, never per step: stepping moves nothing.
// eslint-disable-next-line no-unused-vars
function playerLayout(ctx) {
  "use strict";
  const { player, head, order, explain, controls, tools, options, box, stage } = ctx;
  if (options.present || options.embed) return { room() {}, destroy() {} };
  const READABLE = 11 / 12;          // as in zoomView: 11 px for the smallest text, 12 units
  const MAX_FIT = 2;
  const NARROW = 600;                // px: one column
  const GAP = 8;
  const STAGE_FRAME = 14;            // the stage's padding and border, both sides
  // A slide (the slide file, full screen) is read from afar: the diagram as large as it gets,
  // with no cap on its scale (as zoomView fits it there).
  const slide = () => Boolean(player.closest(".bp-slide")) ||
    player.ownerDocument.fullscreenElement === player;
  // The part of the screen the diagram covers in a stage of w × h, fitted as zoomView fits it.
  function covered(w, h) {
    if (w <= 0 || h <= 0 || !box.width || !box.height) return 0;
    const cap = slide() ? Infinity : MAX_FIT;
    let scale = Math.min(w / box.width, h / box.height, cap);
    if (scale < READABLE) scale = Math.max(Math.min(w / box.width, cap), READABLE);
    return Math.min(w, box.width * scale) * Math.min(h, box.height * scale);
  }
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
  // A short player (player_app.js): the first screen's room under it, in px; else null.
  const short = () => {
    const root = player.parentNode;
    if (!root || !root.dataset || root.dataset.height !== "short") return null;
    return parseFloat(getComputedStyle(root).getPropertyValue("--bp-fill")) || null;
  };
  function choose() {
    const width = player.clientWidth;
    const height = player.clientHeight;
    if (width < NARROW) return "stack";
    if (short()) return "beside";
    const rows = head.offsetHeight + controls.offsetHeight + 2 * GAP;
    const left = height - rows - order.offsetHeight - 6 - STAGE_FRAME;
    const side = clamp(0.34 * width, 280, 440);
    const room = width - side - 14 - STAGE_FRAME;
    const whole = Math.min(room / box.width, left / box.height) >= 1;
    const beside = covered(room, left);
    const under = covered(width - STAGE_FRAME, left - 0.26 * height - GAP);
    if (width < 1.15 * height) return "under";
    if (slide()) return beside >= under ? "beside" : "under";
    return whole || beside >= 0.85 * under ? "beside" : "under";
  }
  // On a phone the step controls are one row: the step buttons, the slider and "More", which
  // opens, under them, the jumps to each phase, the speed and the picture's tools (zoom, full
  // screen, legend, downloads, link). Elsewhere the jumps and the speed follow the slider and
  // the tools share the row of the step's phase and number.
  const doc = player.ownerDocument;
  const jumps = controls.querySelector(".bp-jumps");
  const speed = controls.querySelector(".bp-speed");
  const panelId = "bp-more-" + Math.random().toString(36).slice(2, 8);
  const more = doc.createElement("button");
  more.type = "button";
  more.className = "bp-button bp-more";
  more.setAttribute("aria-label", "More controls");
  more.title = "More: phases, speed, zoom, legend, downloads";
  more.setAttribute("aria-expanded", "false");
  more.setAttribute("aria-controls", panelId);
  more.innerHTML = '<svg viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true">' +
    '<path fill="currentColor" d="M4 10h4v4H4zM10 10h4v4h-4zM16 10h4v4h-4z"/></svg>';
  const panel = doc.createElement("div");
  panel.className = "bp-more-panel";
  panel.id = panelId;
  panel.hidden = true;
  panel.setAttribute("role", "group");
  panel.setAttribute("aria-label", "More controls");
  const setOpen = (on) => {
    panel.hidden = !on;
    more.setAttribute("aria-expanded", on ? "true" : "false");
  };
  more.addEventListener("click", () => setOpen(panel.hidden));
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    setOpen(false);
    more.focus();
  });
  function placeControls(stacked) {
    if (stacked) {
      if (more.parentNode !== controls) controls.append(more, panel);
      for (const part of [jumps, speed, tools]) {
        if (part && part.parentNode !== panel) panel.appendChild(part);
      }
      return;
    }
    if (more.parentNode) {
      setOpen(false);
      more.remove();
      panel.remove();
    }
    for (const part of [jumps, speed]) {
      if (part && part.parentNode !== controls) controls.appendChild(part);
    }
    if (tools.parentNode !== head) head.appendChild(tools);
  }
  function arrange() {
    if (!player.isConnected || !player.clientWidth) return;
    const layout = choose();
    if (player.dataset.layout !== layout) player.dataset.layout = layout;
    placeControls(layout === "stack");
    // A short player: the diagram's row is what the first screen has left under the step's
    // phase and number and the step controls (player.css).
    const fill = short();
    if (fill && layout === "beside") {
      const row = Math.max(120, Math.floor(fill - head.offsetHeight - controls.offsetHeight - 2 * GAP));
      if (player.style.getPropertyValue("--bp-left-row") !== row + "px") {
        player.style.setProperty("--bp-left-row", row + "px");
      }
    } else {
      player.style.removeProperty("--bp-left-row");
    }
    room();
  }
  // The explanation never clips: a step that needs more room than its panel has (the last
  // step's check of many variables, a warning) takes it from the diagram (under it: up to all
  // but 200 px or three fifths of the height; beside it: up to three fifths of the width), and
  // if that is not enough its type steps down to no less than 65 %. Other steps give it back.
  function room() {
    // Sizing the panel widens the diagram's stage for a moment, which would clamp its scroll
    // and lose the view of the step's box: the view is put back where it was.
    const { scrollLeft, scrollTop } = stage;
    fitExplanation();
    stage.scrollLeft = scrollLeft;
    stage.scrollTop = scrollTop;
  }
  function fitExplanation() {
    player.style.removeProperty("--bp-explain-size");
    if (!player.closest(".bp-slide")) explain.style.fontSize = "";  // a slide's: presenterMode
    const layout = player.dataset.layout;
    const wide = () => explain.scrollWidth > explain.clientWidth + 1;
    const tall = () => explain.scrollHeight > explain.clientHeight + 1;
    if (!wide() && !tall()) return;
    if (layout === "beside") {
      if (wide()) {
        const frame = explain.offsetWidth - explain.clientWidth;
        player.style.setProperty("--bp-explain-size", Math.ceil(
          Math.min(explain.scrollWidth + frame + 2, player.clientWidth * 0.6)) + "px");
      }
    } else if (getComputedStyle(explain).overflowY !== "visible") {
      // Taller: at once to the height its text needs in one column, then in steps while its
      // columns still run over to the right.
      const frame = explain.offsetHeight - explain.clientHeight;
      const rest = player.clientHeight - head.offsetHeight - controls.offsetHeight - 3 * GAP;
      const most = Math.max(rest * 0.6, rest - 200);
      let size = explain.offsetHeight;
      if (tall()) size = Math.min(explain.scrollHeight + frame + 1, most);
      player.style.setProperty("--bp-explain-size", Math.ceil(size) + "px");
      while ((wide() || tall()) && size < most) {
        size = Math.min(most, size + 12);
        player.style.setProperty("--bp-explain-size", Math.ceil(size) + "px");
      }
    }
    let scale = parseFloat(explain.style.fontSize) || 1;
    while (tall() && scale > 0.66) {
      scale -= 0.05;
      explain.style.fontSize = scale.toFixed(2) + "em";
    }
  }
  let frame = null;
  const resized = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(arrange);
  });
  resized.observe(player);
  player.dataset.layout = "under";
  arrange();
  return {
    room,
    destroy() { resized.disconnect(); cancelAnimationFrame(frame); },
  };
}

// -- The explanation never clips (a slide's clean view and presenter mode): a step that needs more room than its panel has (the last
// step's check of many variables, a warning) takes it from the diagram, up to four fifths of the
// player's body in a slide (in the app, all but 200 px or three fifths), and if that is not enough its type steps down to no less than 65 %; the
// diagram refits to what is left. Other steps give the room back.
// eslint-disable-next-line no-unused-vars
function explanationRoom(body, explain) {
  "use strict";
  if (!body.closest(".bp-embed, .bp-present")) return;  // in a page: playerLayout
  explain.style.flex = "";
  explain.style.maxWidth = "";
  const over = () => explain.scrollHeight > explain.clientHeight + 1 ||
    explain.scrollWidth > explain.clientWidth + 1;
  if (!over()) return;
  const frameHeight = explain.offsetHeight - explain.clientHeight;
  const frameWidth = explain.offsetWidth - explain.clientWidth;
  if (getComputedStyle(body).flexDirection.startsWith("column")) {
    // In the app the diagram keeps 200 px (or two fifths); a slide or presenter view has
    // the whole screen for both and gives the check up to four fifths.
    const clean = body.closest(".bp-embed, .bp-present");
    const most = clean ? body.clientHeight * 0.8
      : Math.max(body.clientHeight * 0.6, body.clientHeight - 200);
    explain.style.flex = "0 0 " +
      Math.ceil(Math.min(explain.scrollHeight + frameHeight + 1, most)) + "px";
  } else {
    explain.style.maxWidth = "none";
    explain.style.flex = "0 0 " +
      Math.ceil(Math.min(explain.scrollWidth + frameWidth + 2, body.clientWidth * 0.6)) + "px";
  }
  // The presenter code may have stepped the type down already (it sets font-size in em).
  const tooTall = () => explain.scrollHeight > explain.clientHeight + 1;
  let scale = parseFloat(explain.style.fontSize) || 1;
  while (tooTall() && scale > 0.66) {
    scale -= 0.05;
    explain.style.fontSize = scale.toFixed(2) + "em";
  }
}
