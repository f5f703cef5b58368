// The header's notification bell (loaded once someone signs in): the unread count as a
// badge, asked for every 30 s while the tab is visible, after every navigation and when
// a view says the count changed ("ss:unread", with the new count or without one).
import { api, currentUser, onSessionChange } from "../api.js";

const POLL_MS = 30_000;
const bell = document.querySelector(".bell");
const badge = bell.querySelector(".bell-count");
let told = 0; // counts the views' announcements: a poll sent before one is out of date

function show(unread) {
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.hidden = !unread;
  bell.setAttribute("aria-label", unread ? `Notifications: ${unread} unread` : "Notifications");
}

async function check() {
  if (!currentUser() || document.hidden) return;
  const asked = told;
  try {
    const { unreadCount } = await api("/notifications?limit=1");
    if (asked === told) show(unreadCount);
  } catch {
    // Offline or signed out meanwhile: the badge keeps its last count until next time.
  }
}

setInterval(check, POLL_MS);
addEventListener("ss:navigated", check);
addEventListener("ss:unread", (event) => {
  told += 1;
  if (typeof event.detail === "number") show(event.detail);
  else check();
});
document.addEventListener("visibilitychange", check);
onSessionChange(() => (currentUser() ? check() : show(0)));
check();
