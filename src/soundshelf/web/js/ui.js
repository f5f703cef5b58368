// Small shared pieces of UI: notices, confirmations, headings and number formatting.
import { h } from "./dom.js";

/** Says `text` in the page's polite live region for a few seconds. */
export function notify(text, { error = false } = {}) {
  const toast = h("p", { class: error ? "toast toast-error" : "toast" }, text);
  document.getElementById("toasts").append(toast);
  setTimeout(() => toast.remove(), error ? 8000 : 4000);
}

/** A modal yes/no question; resolves true when confirmed. Escape or Cancel: false. */
export function confirmDialog(question, action = "Delete") {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-label": action },
      h(
        "form",
        { method: "dialog" },
        h("p", {}, question),
        h(
          "div",
          { class: "actions" },
          h("button", { value: "cancel", class: "button secondary" }, "Cancel"),
          h("button", { value: "ok", class: "button danger" }, action),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The page's heading: the router moves focus here after each navigation. */
export function heading(text, ...actions) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, text), ...actions);
}

/**
 * The "Taken down" badge for an item a moderator took down, else null. Only its owner
 * (and admins) ever get such an item from the API: everyone else gets 404.
 */
export function takenDownBadge(item) {
  if (item.status !== "taken_down") return null;
  const why = "A moderator took this down: only its owner and admins can see it.";
  return h("span", { class: "badge down", title: why }, "Taken down");
}

/** A line of status inside a view: "Loading…", an empty list, or an error (role=alert). */
export function state(text, { error = false } = {}) {
  return h("p", { class: error ? "state state-error" : "state", role: error ? "alert" : null }, text);
}

/** Replaces a loading line with the result of `load()`, or its error message. */
export async function fill(slot, load) {
  slot.replaceChildren(state("Loading…"));
  try {
    slot.replaceChildren(await load());
  } catch (error) {
    if (error.name === "AbortError") return;
    slot.replaceChildren(state(error.message, { error: true }));
  }
}

export function formatTime(seconds) {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const s = String(total % 60).padStart(2, "0");
  const m = Math.floor(total / 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit ? 1 : 0)} ${units[unit]}`;
}
