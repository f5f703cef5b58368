// Settings: profile, password, the artist profile ("become an artist"), API keys, share
// links, a download of everything the account holds, and deleting the account.
import { adoptTokens, api, currentUser, endSession, loadUser } from "../api.js";
import { showShareLinks } from "../components/share-links.js";
import { h } from "../dom.js";
import { field, newPasswordField, onSubmit, submitButton } from "../forms.js";
import { navigate } from "../router.js";
import { confirmDialog, fill, formatBytes, heading, notify, state } from "../ui.js";

export function render(container, { signal }) {
  container.append(
    heading("Settings"),
    profileSection(),
    passwordSection(),
    artistSection(signal),
    keysSection(signal),
    appPasswordsSection(signal),
    sharesSection(signal),
    exportSection(signal),
    deleteSection(),
  );
}

// A new password ends every other session; this one goes on with the tokens answered.
function passwordSection() {
  const form = h(
    "form",
    { class: "form" },
    field("Current password", "currentPassword", {
      type: "password",
      autocomplete: "current-password",
    }),
    newPasswordField("New password", "newPassword"),
    submitButton("Change password"),
  );
  onSubmit(
    form,
    async (values) => {
      adoptTokens(await api("/me/password", { method: "POST", body: values }));
      form.reset();
      notify("Password changed. Every other device was signed out.");
    },
    {
      fieldOf: (error) =>
        ({ wrong_password: "currentPassword", weak_password: "newPassword" })[error.code],
    },
  );
  return section(
    "settings-password",
    "Password",
    h("p", {}, "Changing it signs you out everywhere else; you stay signed in here."),
    form,
  );
}

// Deleting the account: the export is offered first (the section above), then the
// password, then one last confirmation. The server ends every session at once.
function deleteSection() {
  const form = h(
    "form",
    { class: "form" },
    field("Your password", "password", {
      type: "password",
      autocomplete: "current-password",
      hint: "To be sure it is you.",
    }),
    h("button", { type: "submit", class: "button danger" }, "Delete my account"),
  );
  onSubmit(
    form,
    async ({ password }) => {
      const question = "Delete your account and everything in it? This cannot be undone.";
      if (!(await confirmDialog(question, "Delete my account"))) return;
      await api("/me/deletion", { method: "POST", body: { password } });
      endSession();
      navigate("/", { replace: true });
      notify("Your account is being deleted, with everything in it.");
    },
    { fieldOf: (error) => (error.code === "wrong_password" ? "password" : null) },
  );
  return section(
    "settings-delete",
    "Delete my account",
    h(
      "p",
      {},
      "This removes your account and everything it holds: uploads, playlists, share links, ",
      "friends and likes. It cannot be undone: use “Download my data” above first to keep a copy.",
    ),
    form,
  );
}

const EXPORT_POLL_MS = 2_000;

// The zip is built in the background: ask for it, then look again until it is ready.
function exportSection(signal) {
  const status = h("p", { role: "status" });
  const start = h("button", { type: "button", class: "button secondary" }, "Download my data");
  const show = (exported) => {
    if (exported.status === "ready") {
      const size = exported.size ? ` (${formatBytes(exported.size)})` : "";
      const link = h("a", { href: exported.downloadUrl, download: "" }, `Download the zip${size}`);
      status.replaceChildren(link, ". The link works for a short while.");
    } else if (exported.status === "pending") {
      status.replaceChildren("Preparing your data…");
      setTimeout(poll, EXPORT_POLL_MS);
    } else {
      status.replaceChildren(exported.error || "The export could not be made. Try again.");
    }
    start.disabled = exported.status === "pending";
  };
  const poll = async () => {
    if (signal.aborted) return;
    try {
      show(await api("/me/export", { signal }));
    } catch (error) {
      if (error.name !== "AbortError") status.replaceChildren(error.message);
    }
  };
  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      show(await api("/me/export", { method: "POST", signal }));
    } catch (error) {
      start.disabled = false;
      if (error.name !== "AbortError") notify(error.message, { error: true });
    }
  });
  return section(
    "settings-export",
    "Your data",
    h("p", {}, "A zip of everything your account holds: your uploads and their details."),
    start,
    status,
  );
}

function sharesSection(signal) {
  const list = h("div");
  showShareLinks(list, { signal, empty: "You have not shared anything by link." });
  return section(
    "settings-shares",
    "Shared links",
    h("p", {}, "Anyone holding one of these links can open what it points to until it expires."),
    list,
  );
}

function section(id, title, ...content) {
  return h(
    "section",
    { class: "section card", "aria-labelledby": id },
    h("h2", { id }, title),
    ...content,
  );
}

function profileSection() {
  const user = currentUser();
  const form = h(
    "form",
    { class: "form" },
    field("Display name", "displayName", { value: user.displayName, autocomplete: "nickname" }),
    field("About me", "bio", { type: "textarea", value: user.bio, rows: "3" }),
    submitButton("Save profile"),
  );
  onSubmit(form, async (values) => {
    await api("/me", { method: "PATCH", body: values });
    await loadUser();
    notify("Profile saved");
  });
  return section("settings-profile", "Profile", h("p", { class: "muted" }, user.email), form);
}

function artistSection(signal) {
  const user = currentUser();
  const isArtist = user.roles.includes("artist");
  const slot = h("div");
  const page = `/artists/${encodeURIComponent(user.username)}`;
  const intro = isArtist
    ? h("p", {}, "Your public page: ", h("a", { href: page }, page))
    : h(
        "p",
        {},
        "Become an artist to get a public page where listeners find your albums and follow you.",
      );
  fill(slot, async () => {
    // An artist edits the profile as published; a listener starts from their name.
    const current = isArtist
      ? await api(page, { signal })
      : { name: user.displayName || user.username, bio: "" };
    return artistForm(current, isArtist, slot);
  });
  return section("settings-artist", "Artist profile", intro, slot);
}

function artistForm(current, isArtist, slot) {
  const form = h(
    "form",
    { class: "form" },
    field("Artist name", "name", { value: current.name }),
    field("Biography", "bio", { type: "textarea", value: current.bio, rows: "4" }),
    submitButton(isArtist ? "Save artist profile" : "Become an artist"),
  );
  onSubmit(form, async (values) => {
    await api("/me/artist", { method: "PUT", body: values });
    await loadUser();
    notify(isArtist ? "Artist profile saved" : "You are an artist now. Your page is public.");
    if (!isArtist) slot.closest("section").replaceWith(artistSection());
  });
  return form;
}

function keysSection(signal) {
  const list = h("div");
  const created = h("div");
  const reload = () => fill(list, async () => keyList(await api("/me/api-keys", { signal }), reload));
  const form = h(
    "form",
    { class: "form inline-form" },
    field("Key name", "name", { hint: "Where you will use it, e.g. “laptop backup script”." }),
    submitButton("Create key"),
  );
  onSubmit(form, async ({ name }) => {
    const key = await api("/me/api-keys", { method: "POST", body: { name } });
    form.reset();
    created.replaceChildren(newKey(key));
    created.querySelector("input").focus();
    reload();
  });
  reload();
  return section(
    "settings-keys",
    "API keys",
    h("p", {}, "Scripts and other apps can use your account with a key in the X-Api-Key header."),
    form,
    created,
    list,
  );
}

// Music apps (Subsonic/OpenSubsonic clients) sign in with an app password, not the account's.
function appPasswordsSection(signal) {
  const list = h("div");
  const created = h("div");
  const server = h("code", {}, location.origin);
  const load = async () => {
    const answer = await api("/me/app-passwords", { signal });
    server.textContent = answer.serverUrl;
    return appPasswordList(answer, reload);
  };
  const reload = () => fill(list, load);
  const form = h(
    "form",
    { class: "form inline-form" },
    field("App password name", "name", { hint: "The app or device, e.g. “Symfonium on my phone”." }),
    submitButton("Create app password"),
  );
  onSubmit(form, async ({ name }) => {
    const made = await api("/me/app-passwords", { method: "POST", body: { name } });
    form.reset();
    created.replaceChildren(newKey({ name: made.name, key: made.password }));
    created.querySelector("input").focus();
    reload();
  });
  reload();
  return section(
    "settings-app-passwords",
    "App passwords",
    h("p", {}, "Music apps such as DSub, Symfonium or Feishin connect with your username, an app password and this server address: ", server),
    form,
    created,
    list,
  );
}

function appPasswordList({ items }, reload) {
  if (!items.length) return state("You have no app passwords.");
  return h(
    "ul",
    { class: "plain-list keys" },
    items.map((item) =>
      h(
        "li",
        {},
        h("span", { class: "key-name" }, item.name),
        h("span", { class: "muted" }, `created ${new Date(item.createdAt).toLocaleDateString()}`),
        h(
          "button",
          {
            class: "button danger small",
            "aria-label": `Revoke ${item.name}`,
            onclick: async () => {
              if (!(await confirmDialog(`Revoke the app password “${item.name}”?`, "Revoke"))) return;
              try {
                await api(`/me/app-passwords/${encodeURIComponent(item.id)}`, { method: "DELETE" });
                notify(`Revoked “${item.name}”`);
                reload();
              } catch (error) {
                notify(error.message, { error: true });
              }
            },
          },
          "Revoke",
        ),
      ),
    ),
  );
}

// The secret is in this answer only: say so, and make it easy to copy.
function newKey(key) {
  const input = h("input", {
    type: "text",
    readonly: true,
    value: key.key,
    "aria-label": `New API key “${key.name}”`,
    class: "secret",
  });
  input.addEventListener("focus", () => input.select());
  const copy = h("button", { type: "button", class: "button secondary" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(key.key);
      notify("Key copied");
    } catch {
      input.select();
      notify("Press Ctrl+C (or ⌘C) to copy the selected key.");
    }
  });
  return h(
    "div",
    { class: "new-key" },
    h("p", { role: "alert" }, "Copy your new key now. It will not be shown again."),
    h("div", { class: "inline" }, input, copy),
  );
}

function keyList({ items }, reload) {
  if (!items.length) return state("You have no API keys.");
  return h(
    "ul",
    { class: "plain-list keys" },
    items.map((key) =>
      h(
        "li",
        {},
        h("span", { class: "key-name" }, key.name),
        h("span", { class: "muted" }, `created ${new Date(key.createdAt).toLocaleDateString()}`),
        h(
          "button",
          {
            class: "button danger small",
            "aria-label": `Revoke ${key.name}`,
            onclick: async () => {
              if (!(await confirmDialog(`Revoke the key “${key.name}”?`, "Revoke"))) return;
              try {
                await api(`/me/api-keys/${encodeURIComponent(key.keyId)}`, { method: "DELETE" });
                notify(`Revoked “${key.name}”`);
                reload();
              } catch (error) {
                notify(error.message, { error: true });
              }
            },
          },
          "Revoke",
        ),
      ),
    ),
  );
}
