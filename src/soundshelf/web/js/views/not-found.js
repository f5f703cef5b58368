// Any path the router does not know.
import { h } from "../dom.js";
import { heading } from "../ui.js";

export function render(container) {
  container.append(
    heading("Page not found"),
    h("p", {}, "This page does not exist. ", h("a", { href: "/" }, "Go to the home page"), "."),
  );
}
