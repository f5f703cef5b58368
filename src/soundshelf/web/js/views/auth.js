// Accounts: sign in, sign up + confirm the emailed code, forgot and reset the password.
import { api, signIn as startSession } from "../api.js";
import { h } from "../dom.js";
import { field, newPasswordField, onSubmit, submitButton } from "../forms.js";
import { navigate } from "../router.js";
import { heading, notify } from "../ui.js";

// Errors the API does not tie to a field, tied by their code.
const FIELD_OF_CODE = {
  username_taken: "username",
  email_taken: "email",
  weak_password: "password",
  invalid_code: "code",
  code_expired: "code",
};
const fieldOf = (error) => FIELD_OF_CODE[error.code];

// Only go back to a page of this site after signing in.
function nextPage(query) {
  const next = query.get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function links(...items) {
  return h("p", { class: "form-links" }, items.map((item, i) => (i ? [" · ", item] : item)));
}

/** Replaces the view with a new step and tells assistive technology about it. */
function showStep(container, title, ...content) {
  container.replaceChildren(heading(title), ...content);
  document.title = `${title} · Soundshelf`;
  container.querySelector("h1").focus();
}

/** A button that emails the owner a sign-in link, for when sign-ins are throttled. */
function signInLinkButton(form) {
  const label = "Email me a sign-in link";
  const button = h("button", { type: "button", class: "button secondary" }, label);
  button.addEventListener("click", async () => {
    const username = form.elements.username.value.trim();
    if (!username) {
      form.elements.username.focus();
      return;
    }
    try {
      await api("/auth/signin-link", { method: "POST", body: { username }, auth: false });
      notify("If this account exists, we emailed it a link to sign in with.");
    } catch (error) {
      notify(error.message, { error: true });
    }
  });
  return button;
}

export function signIn(container, { query }) {
  const next = nextPage(query);
  // Arrived from a mailed sign-in link: it lets this sign-in past the throttle.
  const signInLink = query.get("link");
  const form = h(
    "form",
    { class: "form narrow" },
    field("Username or email", "username", {
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
    }),
    field("Password", "password", { type: "password", autocomplete: "current-password" }),
    submitButton("Sign in"),
  );
  const help = links(
    h("a", { href: "/forgot-password" }, "Forgot your password?"),
    h("a", { href: "/signup" }, "Create an account"),
  );
  onSubmit(form, async ({ username, password }) => {
    try {
      await startSession(username.trim(), password, signInLink);
    } catch (error) {
      if (error.code === "rate_limited" && !help.querySelector("button")) {
        help.append(" · ", signInLinkButton(form));
      }
      if (error.code !== "user_not_confirmed") throw error;
      confirmStep(container, { username: username.trim(), password, next });
      return;
    }
    navigate(next, { replace: true });
  });
  container.append(
    heading("Sign in"),
    signInLink ? h("p", {}, "Sign in with your password to use the link from your email.") : null,
    form,
    help,
  );
}

export function signUp(container, { query }) {
  const next = nextPage(query);
  const form = h(
    "form",
    { class: "form narrow" },
    field("Username", "username", {
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
      hint: "3 to 32 lowercase letters, digits, dots, dashes or underscores.",
    }),
    field("Email", "email", { type: "email", autocomplete: "email" }),
    newPasswordField("Password", "password"),
    submitButton("Create account"),
  );
  onSubmit(
    form,
    async ({ username, email, password }) => {
      const created = await api("/auth/signup", {
        method: "POST",
        body: { username: username.trim(), email: email.trim(), password },
        auth: false,
      });
      confirmStep(container, { username: created.username, email: email.trim(), password, next });
    },
    { fieldOf },
  );
  container.append(
    heading("Create your account"),
    form,
    links(h("a", { href: "/signin" }, "I already have an account")),
  );
}

function confirmStep(container, { username, email, password, next }) {
  const form = h(
    "form",
    { class: "form narrow" },
    field("Confirmation code", "code", {
      inputmode: "numeric",
      autocomplete: "one-time-code",
      hint: "The 6-digit number in the email.",
    }),
    submitButton("Confirm"),
  );
  onSubmit(
    form,
    async ({ code }) => {
      await api("/auth/confirm", {
        method: "POST",
        body: { username, code: code.trim() },
        auth: false,
      });
      await startSession(username, password);
      notify("Welcome to Soundshelf!");
      navigate(next, { replace: true });
    },
    { fieldOf },
  );
  const resend = h("button", { type: "button", class: "button secondary" }, "Send a new code");
  resend.addEventListener("click", async () => {
    try {
      await api("/auth/resend-code", { method: "POST", body: { username }, auth: false });
      notify("We sent a new code.");
    } catch (error) {
      notify(error.message, { error: true });
    }
  });
  showStep(
    container,
    "Confirm your email",
    h(
      "p",
      {},
      email ? `We sent a 6-digit code to ${email}.` : "We sent a 6-digit code to your email.",
    ),
    form,
    h("p", { class: "form-links" }, resend),
  );
}

export function forgotPassword(container) {
  const form = h(
    "form",
    { class: "form narrow" },
    field("Username or email", "username", { autocomplete: "username", autocapitalize: "none" }),
    submitButton("Send me a code"),
  );
  onSubmit(form, async ({ username }) => {
    await api("/auth/forgot-password", {
      method: "POST",
      body: { username: username.trim() },
      auth: false,
    });
    resetStep(container, username.trim());
  });
  container.append(
    heading("Reset your password"),
    h("p", {}, "We will email you a code to choose a new password."),
    form,
    links(h("a", { href: "/signin" }, "Back to sign in")),
  );
}

function resetStep(container, username) {
  const form = h(
    "form",
    { class: "form narrow" },
    field("Code", "code", { inputmode: "numeric", autocomplete: "one-time-code" }),
    newPasswordField("New password", "newPassword"),
    submitButton("Change password"),
  );
  onSubmit(
    form,
    async ({ code, newPassword }) => {
      await api("/auth/reset-password", {
        method: "POST",
        body: { username, code: code.trim(), newPassword },
        auth: false,
      });
      notify("Your password is changed. Sign in with the new one.");
      navigate("/signin", { replace: true });
    },
    { fieldOf: (error) => (error.code === "weak_password" ? "newPassword" : fieldOf(error)) },
  );
  showStep(
    container,
    "Choose a new password",
    h("p", {}, "If this account exists, we sent a code to its email address."),
    form,
  );
}
