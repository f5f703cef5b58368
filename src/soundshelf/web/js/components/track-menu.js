// The "more actions" menu of a track row: add to a playlist, and for its owner share.
// One popover serves every row (it is loaded on first use); it opens by the button that
// asked for it, takes arrow keys, and gives focus back to that button when it closes.
import { currentUser } from "../api.js";
import { h } from "../dom.js";
import { notify } from "../ui.js";

const menu = h("div", { class: "menu", popover: "auto", role: "menu" });
let opener = null;
let closed = { by: null, at: 0 };
document.body.append(menu);

menu.addEventListener("toggle", (event) => {
  if (event.newState !== "closed") return;
  opener.setAttribute("aria-expanded", "false");
  if (!document.activeElement || document.activeElement === document.body || menu.contains(document.activeElement)) {
    opener.focus();
  }
  closed = { by: opener, at: performance.now() };
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
  // A click on the open menu's own button closed it on the way in: leave it closed.
  if (closed.by === button && performance.now() - closed.at < 300) return;
  opener = button;
  const mine = currentUser()?.username === track.owner;
  menu.setAttribute("aria-label", `Actions for ${track.title}`);
  menu.replaceChildren(
    item("Add to playlist…", () => import("./add-to-playlist.js").then((m) => m.addToPlaylist(track))),
    mine
      ? item("Share…", () =>
          import("./share-dialog.js").then((m) =>
            m.openShareDialog({ targetType: "track", targetId: track.trackId, title: track.title }),
          ),
        )
      : null,
  );
  menu.showPopover({ source: button }); // the source anchors it (CSS position-area)
  button.setAttribute("aria-expanded", "true");
  menu.querySelector("[role=menuitem]").focus();
}

function item(label, open) {
  const choose = () => {
    menu.hidePopover(); // focus goes back to the row, so the dialog returns it there
    open().catch(() => notify("This could not be loaded. Reload to try again.", { error: true }));
  };
  return h("button", { type: "button", role: "menuitem", class: "menu-item", onclick: choose }, label);
}
