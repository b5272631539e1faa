// The step player in a notebook (JupyterLab, Jupyter Notebook 7, VS Code …), as an anywidget
// view. drawing/notebook.py puts player.js in front of this file to make one ES module, so
// `mountPlayer` here is the very same player as in the app and in the slide file.
//
// The model's traits: `deck` (every frame, computed in Python), `options` (theme …), `height`
// in pixels, and `step`, synced both ways: Python sets it to move the player, and a step taken
// in the browser is sent back to Python. The theme "auto" follows the notebook's own theme.

// mountPlayer.active when no player in the notebook has the keyboard: the arrow keys and the
// space bar belong to the notebook until a player is clicked or focused.
const NOBODY = { name: "no player" };

// JupyterLab and Notebook 7 mark the body with data-jp-theme-light, VS Code with a class.
function notebookIsDark() {
  const body = document.body;
  if (body.dataset.jpThemeLight) return body.dataset.jpThemeLight === "false";
  return (body.classList.contains("vscode-dark") || body.classList.contains("vscode-high-contrast"))
    && !body.classList.contains("vscode-high-contrast-light");
}

function themeOf(options) {
  if (options.theme !== "auto") return options.theme;
  return notebookIsDark() ? "dark" : "light";
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bp-root bp-notebook";
  // Keys pressed inside the player drive the player, not JupyterLab's notebook shortcuts.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  el.appendChild(root);
  let player = null;
  let theme = null;  // the theme shown: "auto" resolved

  function report(k) {
    if (k !== model.get("step")) {
      model.set("step", k);
      model.save_changes();
    }
  }

  function mountAt(step) {
    if (player) player.destroy();
    root.style.height = model.get("height") + "px";
    theme = themeOf(model.get("options"));
    const options = Object.assign({}, model.get("options"), { theme, step, onStep: report });
    player = mountPlayer(root, model.get("deck"), options);
    if (mountPlayer.active === player) mountPlayer.active = NOBODY;
  }
  const mount = () => mountAt(model.get("step"));

  function follow() {
    const k = model.get("step");
    if (player.step !== k) {
      player.pause();
      player.goTo(k);
    }
  }

  function release(event) {
    if (!root.contains(event.relatedTarget) && mountPlayer.active === player) {
      mountPlayer.active = NOBODY;
    }
  }

  function retheme() {
    const now = themeOf(model.get("options"));
    // The same player in the new theme: its step, zoom and pan stay.
    if (now !== theme) {
      theme = now;
      player.setTheme(now);
    }
  }
  const themeWatch = new MutationObserver(retheme);

  mount();
  root.addEventListener("focusout", release);
  themeWatch.observe(document.body, { attributes: true,
                                      attributeFilter: ["data-jp-theme-light", "class"] });
  model.on("change:step", follow);
  model.on("change:deck", mount);
  model.on("change:options", mount);
  model.on("change:height", mount);
  return () => {
    model.off("change:step", follow);
    model.off("change:deck", mount);
    model.off("change:options", mount);
    model.off("change:height", mount);
    root.removeEventListener("focusout", release);
    themeWatch.disconnect();
    if (player) player.destroy();
  };
}

export default { render };
