// Reporting something to the moderators: a reason, optional details, then a thank-you.
// A second report of the same item while the first is open is answered 409: that is
// news for the reporter (it is already being looked at), not a failure.
import { api } from "../api.js";
import { h } from "../dom.js";
import { field, invalid, onSubmit, submitButton } from "../forms.js";

/** Why something was reported or taken down, in the words the reporter chose it by. */
export const REASONS = [
  ["copyright", "It infringes copyright"],
  ["offensive", "It is offensive or abusive"],
  ["illegal", "It is illegal"],
  ["spam", "It is spam"],
  ["other", "Something else"],
];

/** `targetType`: track, album, playlist, photo, file, artist or share; `title` names it. */
export function openReportDialog({ targetType, targetId, title }) {
  const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
  const form = h(
    "form",
    { class: "form" },
    // No reason is picked for the reporter; sending without one says so beside the list.
    field("Why are you reporting it?", "reason", {
      type: "select",
      choices: [["", "Choose a reason…"], ...REASONS],
    }),
    field("Details (optional)", "details", {
      type: "textarea",
      rows: "3",
      maxlength: "2000",
      hint: "What should the moderators look at? The owner is never told who reported.",
    }),
    h("div", { class: "actions" }, submitButton("Send report"), cancel),
  );
  const dialog = h(
    "dialog",
    { class: "dialog report-dialog", "aria-labelledby": "report-dialog-title" },
    h("h2", { id: "report-dialog-title" }, `Report “${title}”`),
    form,
  );
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  onSubmit(form, async ({ reason, details }) => {
    if (!reason) throw invalid("reason", "Choose why you are reporting it.");
    try {
      await api("/reports", {
        method: "POST",
        body: { targetType, targetId, reason, details: details.trim() || undefined },
      });
      done(dialog, form, "Thank you. The moderators will look at it.");
    } catch (error) {
      if (error.status !== 409) throw error;
      done(dialog, form, "You already reported this. The moderators are looking at it.");
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}

function done(dialog, form, message) {
  const close = h("button", { type: "button", class: "button" }, "Close");
  close.addEventListener("click", () => dialog.close());
  form.replaceWith(h("p", { role: "status" }, message), h("div", { class: "actions" }, close));
  close.focus();
}
