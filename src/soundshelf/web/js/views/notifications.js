// Notifications, newest first: friend requests and answers, new music by artists I
// follow, new photos by friends. Unread ones stand out until they are marked read
// (one by one, by opening them, or all at once); the header's bell is told the count.
import { api } from "../api.js";
import { pagedList } from "../components/paged.js";
import { REASONS } from "../components/report-dialog.js";
import { h } from "../dom.js";
import { heading, notify } from "../ui.js";

const at = encodeURIComponent;

// What each kind says and where it leads (`data` is a snapshot taken when it was sent).
const REASON = Object.fromEntries(REASONS);
const NOUN = { track: "track", album: "album", playlist: "playlist", photo: "photo", file: "file" };

// Where the owner finds an item of theirs that a moderator acted on.
const itemPage = (d) =>
  ({
    track: `/tracks/${at(d.targetId)}/edit`,
    album: "/albums",
    playlist: `/playlists/${at(d.targetId)}`,
    photo: "/photos",
    file: "/files",
  })[d.targetType] ?? "/settings";

const itemName = (d) =>
  d.targetType === "artist" ? "Your artist profile" : `Your ${NOUN[d.targetType] ?? "item"} “${d.title}”`;

const KINDS = {
  takedown: (d) => [
    `${itemName(d)} was taken down` + (d.reason ? `: ${REASON[d.reason] ?? d.reason}` : ""),
    itemPage(d),
    d.note ? `Moderator’s note: ${d.note}` : null,
  ],
  restored: (d) => [`${itemName(d)} is back: a moderator restored it`, itemPage(d)],
  friend_request: (d) => [`${d.from} wants to be your friend`, "/friends"],
  friend_accepted: (d) => [`${d.by} accepted your friend request`, "/friends"],
  new_track: (d) => [
    `${d.artist || d.owner} published “${d.title}”`,
    `/artists/${at(d.owner)}`,
  ],
  new_photo: (d) => [
    d.caption ? `${d.owner} shared a photo: “${d.caption}”` : `${d.owner} shared a new photo`,
    `/photos?owner=${at(d.owner)}`,
  ],
};

const announce = (unreadCount) =>
  dispatchEvent(new CustomEvent("ss:unread", { detail: unreadCount }));

export function render(container, { signal }) {
  const markAll = h("button", { type: "button", class: "button secondary" }, "Mark all as read");
  markAll.addEventListener("click", async () => {
    try {
      const { unreadCount } = await api("/notifications/read", { method: "POST", body: {} });
      const unread = container.querySelectorAll(".notification[data-read=false]");
      for (const item of unread) shownRead(item);
      announce(unreadCount);
      notify("All notifications marked as read");
    } catch (error) {
      notify(error.message, { error: true });
    }
  });
  container.append(
    heading("Notifications", markAll),
    pagedList("/notifications", row, {
      signal,
      list: h("ul", { class: "notifications" }),
      empty:
        "Nothing yet. Friend requests, new music by artists you follow and your friends’ " +
        "new photos show up here.",
    }),
  );
}

function row(notification) {
  const [text, href, more] = KINDS[notification.kind]?.(notification.data) ?? [
    "Something new",
    null,
  ];
  const markRead = async () => {
    if (item.dataset.read === "true") return;
    shownRead(item); // at once; the count follows from the answer
    try {
      const body = { ids: [notification.notificationId] };
      announce((await api("/notifications/read", { method: "POST", body })).unreadCount);
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  const when = new Date(notification.createdAt).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
  const item = h(
    "li",
    { class: "notification", "data-read": String(notification.read) },
    h(
      "div",
      { class: "notification-text" },
      notification.read ? null : h("span", { class: "badge new" }, "new"),
      href ? h("a", { href, onclick: markRead }, text) : h("span", {}, text),
      more ? h("span", { class: "notification-more" }, more) : null,
      h("span", { class: "muted" }, when),
    ),
    notification.read
      ? null
      : h(
          "button",
          {
            type: "button",
            class: "button secondary small",
            "aria-label": `Mark “${text}” as read`,
            onclick: markRead,
          },
          "Mark read",
        ),
  );
  return item;
}

function shownRead(item) {
  item.dataset.read = "true";
  item.querySelector(".new")?.remove();
  const button = item.querySelector("button");
  if (button === document.activeElement) item.querySelector("a")?.focus(); // keep the place
  button?.remove();
}
