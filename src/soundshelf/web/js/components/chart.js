// Small SVG charts of our own (no library to download): bars or a line over labelled
// values. Each is an <svg role="img"> named by its <title> and summed up by its <desc>,
// with the exact figures in a visually hidden table for screen readers. Colours come
// from CSS classes, so they follow the light and dark themes.
import { h } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 400;
const HEIGHT = 200;
const PAD = { top: 18, right: 8, bottom: 22, left: 8 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
let charts = 0;

/**
 * `data`: [{label, value}] in order; `format(value)` writes a value for people;
 * `kind`: "bar" or "line". Returns a <figure> with the chart and its data table.
 */
export function chart({ title, data, kind = "bar", format = String }) {
  const id = `chart-${++charts}`;
  const highest = Math.max(0, ...data.map((d) => d.value));
  const top = data.find((d) => d.value === highest);
  const max = highest || 1; // the scale's top: all zeros lie on the baseline
  const total = data.reduce((sum, d) => sum + d.value, 0);
  const summary = highest
    ? `${data.length} values, total ${format(total)}; highest ${format(highest)} (${top.label}).`
    : `${data.length} values, all zero.`;
  const svg = svgEl("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    class: "chart",
    "aria-labelledby": `${id}-title`,
    "aria-describedby": `${id}-desc`,
  });
  svg.append(
    svgEl("title", { id: `${id}-title` }, title),
    svgEl("desc", { id: `${id}-desc` }, summary),
    ...axes(max, format),
    ...(kind === "line" ? line(data, max) : bars(data, max, format)),
    ...labels(data, kind),
  );
  return h(
    "figure",
    { class: "chart-figure" },
    h("figcaption", {}, title),
    svg,
    table(title, data, format),
  );
}

// A line's points span the plot edge to edge; a bar sits in the middle of its slot.
function x(i, n, kind) {
  if (kind !== "line") return PAD.left + ((i + 0.5) * PLOT_W) / n;
  return PAD.left + (n > 1 ? (i * PLOT_W) / (n - 1) : PLOT_W / 2);
}

const y = (value, max) => PAD.top + PLOT_H - (max ? (value / max) * PLOT_H : 0);

// The baseline and a dashed line at the highest value, labelled with it.
function axes(max, format) {
  const across = (className, at) =>
    svgEl("line", { class: className, x1: PAD.left, x2: WIDTH - PAD.right, y1: at, y2: at });
  return [
    across("chart-axis", y(0, max)),
    across("chart-rule", PAD.top),
    svgEl("text", { class: "chart-text", x: PAD.left, y: PAD.top - 5 }, format(max)),
  ];
}

function bars(data, max, format) {
  const step = PLOT_W / Math.max(data.length, 1);
  const width = Math.max(1, step * 0.7);
  return data.map((d, i) => {
    const top = y(d.value, max);
    const left = x(i, data.length, "bar") - width / 2;
    return svgEl(
      "rect",
      { class: "chart-bar", x: left, y: top, width, height: y(0, max) - top },
      svgEl("title", {}, `${d.label}: ${format(d.value)}`),
    );
  });
}

function line(data, max) {
  const points = data.map((d, i) => `${x(i, data.length, "line")},${y(d.value, max)}`);
  return points.length ? [svgEl("path", { class: "chart-line", d: `M${points.join("L")}` })] : [];
}

// A label under every value when there are few; otherwise the first and the last only.
function labels(data, kind) {
  const shown = data.length <= 8 ? data.map((_, i) => i) : [0, data.length - 1];
  const few = data.length <= 8;
  return shown.map((i) => {
    const anchor = few ? "middle" : i === 0 ? "start" : "end";
    const at = few ? x(i, data.length, kind) : i === 0 ? PAD.left : WIDTH - PAD.right;
    const props = { class: "chart-text", x: at, y: HEIGHT - 6, "text-anchor": anchor };
    return svgEl("text", props, data[i].label);
  });
}

function table(title, data, format) {
  return h(
    "table",
    { class: "visually-hidden" },
    h("caption", {}, title),
    h("thead", {}, h("tr", {}, col("When or what"), col("Value"))),
    h("tbody", {}, data.map((d) => row(d.label, format(d.value)))),
  );
}

const col = (name) => h("th", { scope: "col" }, name);
const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));

function svgEl(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}
