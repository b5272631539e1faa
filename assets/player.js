// The step player: shows a deck (a laid-out diagram, one patch and one explanation per step)
// and steps through it with buttons, a slider, play/pause and the keyboard.
// The same file runs inside the app and inside a downloaded slide file, so they cannot drift.
// No network, no libraries: every frame was computed ahead of time.

/* exported mountPlayer */
// eslint-disable-next-line no-unused-vars
function mountPlayer(root, deck, options) {
  "use strict";
  options = options || {};
  const SPEEDS = [2, 1, 0.5, 0.25];  // seconds per step
  const frames = deck.frames;
  const last = frames.length - 1;
  let current = -1;
  let timer = null;
  let playing = false;
  let seconds = SPEEDS.includes(options.seconds) ? options.seconds : 1;
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
  const themeClasses = () =>
    "bp-player bp-theme-" + (options.theme === "dark" ? "dark" : "light") +
    (options.present ? " bp-present" : "") + (options.embed ? " bp-embed" : "");
  player.className = themeClasses();

  const phaseLabel = el("span", { class: "bp-phase" });
  const count = el("span", { class: "bp-count", "aria-live": "polite" });
  const title = el("span", { class: "bp-title", text: deck.title });
  const head = el("div", { class: "bp-head" }, [phaseLabel, count, title]);

  const stage = el("div", { class: "bp-stage" });
  stage.innerHTML = deck.svg;
  const svg = stage.querySelector("svg");
  // Fill the stage, but do not blow a three-box graph up to poster size (in a lecture hall,
  // as large as it fits). Wide graphs get the explanation under them, tall ones beside them.
  const box = svg.viewBox.baseVal;
  if (!options.present) svg.style.maxWidth = Math.round(box.width * 2) + "px";
  player.dataset.shape = box.width >= 2.2 * box.height ? "wide" : "tall";
  const chips = el("div", { class: "bp-chips" });
  for (let i = 0; i < deck.chips; i++) {
    chips.appendChild(el("span", { class: "bp-chip bp-empty", id: "bp-o" + i }));
  }
  const order = el("div", { class: "bp-order" },
                   [el("span", { class: "bp-order-label", text: "Topological order" }), chips]);
  const explain = el("div", { class: "bp-explain", "aria-live": "polite" });
  const body = el("div", { class: "bp-body" },
                  [el("div", { class: "bp-left" }, [stage, order]), explain]);

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
    const option = el("option", { value: String(s), text: s + " s / step" });
    if (s === seconds) option.selected = true;
    speed.appendChild(option);
  }
  const phaseButtons = deck.phases.map((p) => {
    const b = el("button", { type: "button", class: "bp-button bp-jump",
                             "aria-label": "Go to " + p.title, title: "Go to " + p.title,
                             text: p.title });
    b.addEventListener("click", () => { pause(); goTo(p.first); });
    return b;
  });
  const saveSvg = el("button", { type: "button", class: "bp-button bp-save",
                                 "aria-label": "Download SVG", title: "Download SVG",
                                 text: "SVG" });
  const savePng = el("button", { type: "button", class: "bp-button bp-save",
                                 "aria-label": "Download PNG", title: "Download PNG",
                                 text: "PNG" });
  const controls = el("div", { class: "bp-controls" }, [
    el("div", { class: "bp-transport" }, [first, prev, play, next, end]),
    slider,
    el("div", { class: "bp-extra" }, [speed, ...phaseButtons, saveSvg, savePng]),
  ]);
  player.append(head, body, controls);
  root.appendChild(player);

  const elements = new Map();
  for (const g of svg.querySelectorAll("g[id^='bp-']")) elements.set(g.id, g);
  for (const chip of chips.children) elements.set(chip.id, chip);

  // -- frames ----------------------------------------------------------------------------------
  function applyPatch(patch) {
    for (const [id, look] of Object.entries(patch)) {
      const node = elements.get(id);
      if (!node) continue;
      node.setAttribute("class", look[0]);
      if (node.tagName.toLowerCase() === "span") {
        node.textContent = look[1][0];
        continue;
      }
      const texts = node.querySelectorAll("text");
      for (const text of texts) text.textContent = look[1][+text.dataset.line] || "";
    }
  }

  function phaseTitle(frame) {
    const p = deck.phases.find((q) => q.name === frame.phase);
    return p ? p.title : "Start";
  }

  function goTo(k) {
    k = Math.max(0, Math.min(last, Math.round(Number(k)) || 0));
    if (k === current) return;
    // Patches only go forward: going back replays from frame 0, which sets every element.
    const from = k > current ? current + 1 : 0;
    for (let i = from; i <= k; i++) applyPatch(frames[i].patch);
    current = k;
    const frame = frames[k];
    player.dataset.phase = frame.phase;
    player.dataset.step = String(k);
    phaseLabel.textContent = phaseTitle(frame);
    phaseLabel.className = "bp-phase bp-phase-" + frame.phase;
    count.textContent = "Step " + k + " of " + last;
    explain.innerHTML = frame.html;
    order.classList.toggle("bp-hidden", frame.phase === "start" || frame.phase === "forward");
    slider.value = String(k);
    first.disabled = prev.disabled = k === 0;
    next.disabled = end.disabled = k === last;
    for (const b of phaseButtons) b.classList.remove("bp-on");
    const index = deck.phases.findIndex((p) => p.name === frame.phase);
    if (index >= 0) phaseButtons[index].classList.add("bp-on");
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
    if (current >= last) goTo(0);
    setPlaying(true);
    // Each tick is scheduled from the start time, so slow frames do not make play drift.
    const t0 = performance.now();
    const k0 = current;
    let n = 0;
    const tick = () => {
      n += 1;
      goTo(k0 + n);
      if (current >= last) { pause(); return; }
      timer = setTimeout(tick, Math.max(0, t0 + (n + 1) * seconds * 1000 - performance.now()));
    };
    timer = setTimeout(tick, seconds * 1000);
  }
  const toggle = () => (playing ? pause() : start());

  first.addEventListener("click", () => { pause(); goTo(0); });
  prev.addEventListener("click", () => { pause(); goTo(current - 1); });
  next.addEventListener("click", () => { pause(); goTo(current + 1); });
  end.addEventListener("click", () => { pause(); goTo(last); });
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
    const keys = {
      ArrowRight: () => { pause(); goTo(current + 1); },
      ArrowLeft: () => { pause(); goTo(current - 1); },
      Home: () => { pause(); goTo(0); },
      End: () => { pause(); goTo(last); },
      " ": toggle,
    };
    const action = keys[event.key];
    if (!action) return;
    if (tag === "button" && event.key === " ") return;  // the button's own click handles it
    event.preventDefault();
    action();
  }
  document.addEventListener("keydown", onKey);

  // -- downloads: the diagram of the current step, with its stylesheet inside ---------------
  function svgText() {
    const copy = svg.cloneNode(true);
    const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
    style.textContent = deck.css;
    copy.insertBefore(style, copy.firstChild);
    copy.setAttribute("class", "bp-diagram bp-theme-" + (options.theme === "dark" ? "dark" : "light"));
    const box = svg.viewBox.baseVal;
    copy.setAttribute("width", String(Math.round(box.width)));
    copy.setAttribute("height", String(Math.round(box.height)));
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    return new XMLSerializer().serializeToString(copy);
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
      context.fillStyle = options.theme === "dark" ? "#14161a" : "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob((blob) => download(blob, fileName("png")), "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText());
  });

  const api = {
    goTo, pause, start,
    get step() { return current; },
    get playing() { return playing; },
    setOptions(more) { Object.assign(options, more); player.className = themeClasses(); },
    destroy() {
      pause();
      document.removeEventListener("keydown", onKey);
      if (mountPlayer.active === api) mountPlayer.active = null;
      root.textContent = "";
    },
  };
  if (!mountPlayer.active) mountPlayer.active = api;
  goTo(options.step || 0);
  if (options.autoplay) start();
  return api;
}
