// Forms: labelled fields with a slot for their error, and submit handling that puts the
// API's messages next to the fields they are about (or above the form).
import { ApiError } from "./api.js";
import { h } from "./dom.js";

let fields = 0;

export const VISIBILITY = [
  ["private", "Private: only me"],
  ["friends", "Friends"],
  ["public", "Public: everyone"],
];

/** An optional number field: empty means none; anything else goes to the API to judge. */
export const orNull = (text) => (text.trim() === "" ? null : text.trim());

/**
 * A labelled control. `type` "textarea" and "select" (with `choices` [[value, label]])
 * are supported; other attributes (autocomplete, inputmode...) pass through.
 */
export function field(label, name, { type = "text", value = "", hint, choices, ...attrs } = {}) {
  const id = `field-${++fields}`;
  const described = hint ? `${id}-hint ${id}-error` : `${id}-error`;
  let control;
  if (type === "select") {
    control = h(
      "select",
      { id, name, "aria-describedby": described, ...attrs },
      choices.map(([v, text]) => h("option", { value: v }, text)),
    );
  } else if (type === "textarea") {
    control = h("textarea", { id, name, "aria-describedby": described, ...attrs });
  } else {
    control = h("input", { id, name, type, "aria-describedby": described, ...attrs });
  }
  control.value = value ?? "";
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

/** A field's error found before asking the API, shown the way the API's are. */
/** A field choosing a password, with the rule the server checks (sign-up, reset, change). */
export function newPasswordField(label, name) {
  return field(label, name, {
    type: "password",
    autocomplete: "new-password",
    hint: "At least 10 characters, and not a common password.",
  });
}

export function invalid(name, message) {
  return new ApiError(422, { detail: message, errors: [{ location: ["body", name], message }] });
}

export function submitButton(label) {
  return h("button", { type: "submit", class: "button" }, label);
}

/**
 * Runs `action(values)` on submit. While it runs the form is busy (a second submit is
 * ignored; the button keeps focus). An ApiError's field messages go next to their
 * fields; `fieldOf(error)` may name a field for errors the API does not locate
 * (e.g. a conflict on the title). Anything else is shown above the form.
 */
export function onSubmit(form, action, { fieldOf } = {}) {
  const alert = h("p", { class: "form-error", role: "alert", hidden: true });
  form.prepend(alert);
  form.noValidate = true; // the API's own messages, in one voice
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    clearErrors(form, alert);
    form.setAttribute("aria-busy", "true");
    try {
      await action(Object.fromEntries(new FormData(form)));
    } catch (error) {
      if (error.name !== "AbortError") showErrors(form, alert, error, fieldOf);
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}

function clearErrors(form, alert) {
  alert.hidden = true;
  alert.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const slot = document.getElementById(`${control.id}-error`);
    slot.hidden = true;
    slot.textContent = "";
  }
}

function showErrors(form, alert, error, fieldOf) {
  if (!(error instanceof ApiError)) console.error(error); // a bug, not an API answer
  const messages = { ...error.fields };
  const named = fieldOf?.(error);
  if (named) messages[named] = error.message;
  let first = null;
  for (const [name, message] of Object.entries(messages)) {
    const control = form.elements.namedItem(name);
    if (!control?.id) continue;
    const slot = document.getElementById(`${control.id}-error`);
    slot.textContent = message;
    slot.hidden = false;
    control.setAttribute("aria-invalid", "true");
    first ??= control;
  }
  if (first) {
    first.focus();
    return;
  }
  alert.textContent =
    error instanceof ApiError ? error.message : "Something went wrong. Please try again.";
  alert.hidden = false;
}
