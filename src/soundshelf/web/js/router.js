// History API router: real URLs (deep links, new tabs, back/forward), no page reloads,
// and each view is a module loaded the first time it is needed.
import { currentUser } from "./api.js";
import { state } from "./ui.js";

let routes = [];
let view = null;
let controller = null;
let rendered = ""; // path + query on screen; a change of #hash alone keeps the view
let generation = 0;
let ready = Promise.resolve(); // the session restore the first render waits for

/**
 * `table`: [{path: "/artists/:username", load: () => import(...), view?: "exportName",
 * auth?: true}], the last entry being the catch-all `*`. A view is
 * `render(container, {params, query, signal})`; it draws its heading synchronously.
 * `sessionReady`: a promise the first render awaits (while its module downloads).
 */
export function startRouter(table, container, sessionReady) {
  routes = table.map((route) => ({ ...route, pattern: compile(route.path) }));
  view = container;
  ready = sessionReady;
  document.addEventListener("click", onLinkClick);
  addEventListener("popstate", () => render({ focus: true }));
  return render({ focus: false });
}

export function navigate(url, { replace = false, focus = true } = {}) {
  const same = url === location.pathname + location.search + location.hash;
  history[replace || same ? "replaceState" : "pushState"](null, "", url);
  if (!replace) scrollTo(0, 0);
  rendered = ""; // a link to the page on screen draws it afresh
  return render({ focus });
}

/** Draws the current view again (after signing in or out). */
export function refresh() {
  rendered = "";
  return render({ focus: false });
}

function compile(path) {
  if (path === "*") return /^/;
  const source = path.replace(/:(\w+)/g, "(?<$1>[^/]+)");
  return new RegExp(`^${source}/?$`);
}

function match(pathname) {
  for (const route of routes) {
    const found = route.pattern.exec(pathname);
    if (found) {
      const params = {};
      for (const [name, value] of Object.entries(found.groups || {})) {
        params[name] = decodeURIComponent(value);
      }
      return { route, params };
    }
  }
}

async function render({ focus }) {
  const where = location.pathname + location.search;
  const focusedAtStart = document.activeElement;
  if (where === rendered) return;
  const { route, params } = match(location.pathname);
  const loading = route.load().catch(() => null); // a failed download is shown below
  await ready;
  if (route.auth && !currentUser()) {
    return navigate(`/signin?next=${encodeURIComponent(where)}`, { replace: true });
  }
  rendered = where;
  const mine = ++generation;
  controller?.abort();
  controller = new AbortController();
  view.setAttribute("aria-busy", "true");
  const module = await loading;
  if (mine !== generation) return;
  view.replaceChildren();
  const context = { params, query: new URLSearchParams(location.search), signal: controller.signal };
  if (module) module[route.view || "render"](view, context);
  else view.append(state("This page could not be loaded. Reload to try again.", { error: true }));
  view.removeAttribute("aria-busy");
  const title = view.querySelector("h1");
  document.title = title ? `${title.textContent} · Soundshelf` : "Soundshelf";
  markCurrentLinks();
  dispatchEvent(new Event("ss:navigated")); // e.g. the notification bell looks again
  // Screen readers hear the new page's heading, keyboard users start from there, unless
  // they moved the focus while the page loaded (into the header's search box, say).
  if (focus && !focusMovedMeanwhile(focusedAtStart)) (title || view).focus();
}

function focusMovedMeanwhile(before) {
  const now = document.activeElement;
  return now !== before && now !== document.body && now !== null && !view.contains(now);
}

function markCurrentLinks() {
  for (const link of document.querySelectorAll(".nav a")) {
    if (link.pathname === location.pathname) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function onLinkClick(event) {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}
