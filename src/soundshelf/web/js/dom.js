// Building DOM without HTML strings: text goes in as Text nodes and attributes through
// setAttribute, so user data can never become markup (and CSP needs no inline anything).

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "Play"}, "text", child, [more])
 * Props: `class`, `on<event>` listeners, and attributes (true = present, false/null = absent).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  el.append(...flatten(children));
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function flatten(children) {
  return children.flat(Infinity).filter((c) => c != null && c !== false);
}

const SVG = "http://www.w3.org/2000/svg";
// 24×24 outline-free glyphs; drawn with currentColor so they follow the theme.
const PATHS = {
  play: "M8 5v14l11-7z",
  pause: "M6 5h4v14H6zm8 0h4v14h-4z",
  next: "M6 6l8.5 6L6 18zm10 0h2v12h-2z",
  prev: "M18 6l-8.5 6 8.5 6zM6 6h2v12H6z",
  queue: "M3 6h13v2H3zm0 5h13v2H3zm0 5h9v2H3zm15-5v6.2A3 3 0 1 0 20 20v-9h2V9h-4z",
  heart:
    "M12 21l-1.5-1.3C5.4 15.1 2 12.1 2 8.4 2 5.4 4.4 3 7.4 3c1.7 0 3.4.8 4.6 2.1A6.2 6.2 0 0 1 16.6 3C19.6 3 22 5.4 22 8.4c0 3.7-3.4 6.7-8.5 11.3z",
  plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
  up: "M12 7l6 6-1.4 1.4L12 9.8l-4.6 4.6L6 13z",
  down: "M12 17l-6-6 1.4-1.4 4.6 4.6 4.6-4.6L18 11z",
  close: "M6.4 5L12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z",
  volume: "M4 9h4l5-4v14l-5-4H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z",
  note: "M12 3v10.6A4 4 0 1 0 14 17V7h4V3z",
  shuffle:
    "M4 7h3.6l8 10H20v-2l3 3-3 3v-2h-5.4l-8-10H4zm0 10h3.6l2-2.5 1.3 1.6L8.6 19H4zm10.6-10H20V5l3 3-3 3V9h-4.4l-1.9 2.4-1.3-1.6z",
  repeat: "M7 7h10v3l4-4-4-4v3H5v6h2zm10 10H7v-3l-4 4 4 4v-3h12v-6h-2z",
  "repeat-one": "M7 7h10v3l4-4-4-4v3H5v6h2zm10 10H7v-3l-4 4 4 4v-3h12v-6h-2zm-4-2V9h-1l-2 1v1h1.5v4z",
  check: "M9.5 16.2L5.3 12l-1.4 1.4 5.6 5.6L20.1 8.4 18.7 7z",
};

/** A decorative icon (hidden from screen readers: its button carries the label). */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", PATHS[name]);
  svg.append(path);
  return svg;
}
