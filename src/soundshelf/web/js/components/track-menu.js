// The "more actions" menu of a track row: add to a playlist; share it if it is mine,
// report it to the moderators if it is not.
// One popover serves every row (it is loaded on first use); it opens by the button that
// asked for it, takes arrow keys, and gives focus back to that button when it closes.
import { currentUser } from "../api.js";
import { h } from "../dom.js";
import { notify } from "../ui.js";

const menu = h("div", { class: "menu", popover: "auto", role: "menu" });
let opener = null;
let pressedOpener = false; // the open menu's own button was pressed: that closes it
document.body.append(menu);

// Before the browser's light dismiss closes the menu, so the click after it can tell.
document.addEventListener(
  "pointerdown",
  (event) => {
    pressedOpener = menu.matches(":popover-open") && opener.contains(event.target);
  },
  true,
);

menu.addEventListener("toggle", (event) => {
  if (event.newState !== "closed") return;
  opener.setAttribute("aria-expanded", "false");
  const focus = document.activeElement;
  if (!focus || focus === document.body || menu.contains(focus)) opener.focus();
});

menu.addEventListener("keydown", (event) => {
  const items = [...menu.querySelectorAll("[role=menuitem]")];
  const at = items.indexOf(document.activeElement);
  const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
  if (event.key === "Tab") menu.hidePopover();
  if (to === undefined) return;
  event.preventDefault();
  items[(to + items.length) % items.length].focus();
});

export function openTrackMenu(button, track) {
  if (pressedOpener && opener === button) return; // it toggled the menu closed
  opener = button;
  const mine = currentUser()?.username === track.owner;
  menu.setAttribute("aria-label", `Actions for ${track.title}`);
  const target = { targetType: "track", targetId: track.trackId, title: track.title };
  const items = [
    item(
      "Add to playlist…",
      () => import("./add-to-playlist.js"),
      (module) => module.addToPlaylist(track),
    ),
  ];
  if (mine) {
    items.push(
      item(
        "Share…",
        () => import("./share-dialog.js"),
        (module) => module.openShareDialog(target),
      ),
    );
  } else {
    items.push(
      item(
        "Report…",
        () => import("./report-dialog.js"),
        (module) => module.openReportDialog(target),
      ),
    );
  }
  menu.replaceChildren(...items);
  menu.showPopover({ source: button }); // the source anchors it (CSS position-area)
  button.setAttribute("aria-expanded", "true");
  menu.querySelector("[role=menuitem]").focus();
}

// `load` fetches the module that does it (on first use), `use` runs it.
function item(label, load, use) {
  const choose = () => {
    menu.hidePopover(); // focus goes back to the row, so the dialog returns it there
    const failed = () => notify("This could not be loaded. Reload to try again.", { error: true });
    load().then(use, failed);
  };
  const props = { type: "button", role: "menuitem", class: "menu-item" };
  return h("button", { ...props, onclick: choose }, label);
}
