// API lists come a page at a time ({items, nextCursor}): a list with a "Load more"
// button, or every page at once for the short lists a dialog needs whole.
import { api } from "../api.js";
import { h } from "../dom.js";
import { state } from "../ui.js";

const withCursor = (path, cursor) =>
  cursor ? `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}` : path;

/** Every item of `path`, following the cursors. */
export async function loadAll(path, { signal } = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(withCursor(path, cursor), { signal });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/**
 * `path`'s items drawn by `row(item, items)` into `list`, one page at a time, with a
 * "Load more" button while there are more; `empty` is said when there are none.
 */
export function pagedList(path, row, { signal, empty, list = h("ul", { class: "plain-list" }) }) {
  const items = [];
  const status = h("div", {}, state("Loading…"));
  const more = h("button", { type: "button", class: "button secondary" }, "Load more");
  more.hidden = true;
  let cursor = null;

  async function load() {
    try {
      const page = await api(withCursor(path, cursor), { signal });
      items.push(...page.items);
      list.append(...page.items.map((item) => row(item, items)));
      cursor = page.nextCursor;
      more.hidden = !cursor;
      status.replaceChildren(items.length ? "" : state(empty));
    } catch (error) {
      if (error.name === "AbortError") return;
      status.replaceChildren(state(error.message, { error: true }));
    }
  }

  more.addEventListener("click", load);
  load();
  return h("div", { class: "paged" }, status, list, more);
}
