// The player's keyboard shortcuts, and the dialog that lists them (opened with "?").
// Keys go to the player only when nobody is typing: not in a field, not on a control
// that uses the same keys itself (a slider, a select), not with Ctrl/Alt/Meta held.
import { h } from "../dom.js";

const SHORTCUTS = [
  ["Space", "Play or pause"],
  ["←  →", "Back or forward 5 seconds"],
  ["Shift + ←  →", "Previous or next track"],
  ["?", "Show these shortcuts"],
];
const SEEK_STEP_S = 5;

// Where keys belong to what has the focus rather than to the player.
const OWN_KEYS =
  "input, textarea, select, [contenteditable=''], [contenteditable=true], [role=slider], " +
  "[role=menu], [role=menuitem], [role=listbox], ss-waveform";

/** Calls `player` methods (toggle, seekBy, previous, next, active) for the keys above. */
export function bindShortcuts(player) {
  addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest(OWN_KEYS)) return;
    if (event.key === "?") {
      event.preventDefault();
      openShortcutsHelp();
      return;
    }
    if (!player.active() || target.closest("dialog[open]")) return;
    const action = actionFor(event, target);
    if (!action) return;
    event.preventDefault();
    action(player);
  });
}

function actionFor(event, target) {
  // Space on a button or link presses it; the player takes it only elsewhere.
  if (event.key === " " && !target.closest("button, a[href], summary, [role=button]")) {
    return (player) => player.toggle();
  }
  if (event.key === "ArrowLeft") {
    return event.shiftKey ? (p) => p.previous() : (p) => p.seekBy(-SEEK_STEP_S);
  }
  if (event.key === "ArrowRight") {
    return event.shiftKey ? (p) => p.next() : (p) => p.seekBy(SEEK_STEP_S);
  }
  return null;
}

export function openShortcutsHelp() {
  if (document.querySelector(".shortcuts-dialog")) return;
  const close = h("button", { type: "button", class: "button" }, "Close");
  const dialog = h(
    "dialog",
    { class: "dialog shortcuts-dialog", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
    h(
      "dl",
      { class: "shortcuts" },
      SHORTCUTS.map(([keys, what]) => [h("dt", {}, h("kbd", {}, keys)), h("dd", {}, what)]),
    ),
    h("div", { class: "actions" }, close),
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}
