// Friends: ask someone by username, answer the requests sent to me, take back mine, and
// my friends (their photos, unfriend). Friends see each other's friends-only items.
import { api, currentUser } from "../api.js";
import { loadAll } from "../components/paged.js";
import { h } from "../dom.js";
import { field, onSubmit, submitButton } from "../forms.js";
import { confirmDialog, fill, heading, notify, state } from "../ui.js";

const REQUESTS = "/friends/requests?limit=200";

export function render(container, { signal }) {
  const me = currentUser().username;
  const requests = h("div");
  const friends = h("div");

  function reload() {
    fill(requests, async () => requestLists(await api(REQUESTS, { signal })));
    fill(friends, async () => friendList(await loadAll("/friends?limit=200", { signal })));
  }

  // Runs one change, says how it went, and draws the lists again.
  const act = (request, done) => async () => {
    try {
      await request();
      notify(done);
      reload();
      dispatchEvent(new Event("ss:unread")); // an answered request is no longer news
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  const button = (text, label, onclick, style = "secondary") => {
    const props = { type: "button", class: `button ${style} small`, "aria-label": label };
    return h("button", { ...props, onclick }, text);
  };
  const since = (iso) => new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });

  function requestLists({ incoming, outgoing }) {
    const path = (r, action = "") =>
      `/friends/requests/${encodeURIComponent(r.requestId)}${action}`;
    const post = (url) => api(url, { method: "POST" });
    return h(
      "div",
      { class: "request-lists" },
      h("h3", {}, "Sent to me"),
      incoming.items.length
        ? h(
            "ul",
            { class: "plain-list people" },
            incoming.items.map((r) =>
              person(
                r.from,
                `asked ${since(r.createdAt)}`,
                button(
                  "Accept",
                  `Accept the request from ${r.from}`,
                  act(() => post(path(r, "/accept")), `You and ${r.from} are friends now`),
                  "",
                ),
                button(
                  "Decline",
                  `Decline the request from ${r.from}`,
                  act(() => post(path(r, "/decline")), `Declined the request from ${r.from}`),
                ),
              ),
            ),
          )
        : state("No requests for you."),
      h("h3", {}, "Sent by me"),
      outgoing.items.length
        ? h(
            "ul",
            { class: "plain-list people" },
            outgoing.items.map((r) =>
              person(
                r.to,
                `waiting since ${since(r.createdAt)}`,
                button(
                  "Cancel",
                  `Cancel the request to ${r.to}`,
                  act(() => api(path(r), { method: "DELETE" }), `Cancelled the request to ${r.to}`),
                ),
              ),
            ),
          )
        : state("No requests waiting for an answer."),
    );
  }

  function friendList(items) {
    if (!items.length) return state("No friends yet. Send a request above.");
    return h(
      "ul",
      { class: "plain-list people" },
      items.map((friend) => {
        const name = friend.displayName || friend.username;
        const unfriend = async () => {
          if (!(await confirmDialog(`Stop being friends with ${name}?`, "Unfriend"))) return;
          const path = `/friends/${encodeURIComponent(friend.username)}`;
          act(() => api(path, { method: "DELETE" }), `You and ${name} are no longer friends`)();
        };
        return person(
          name,
          `@${friend.username} · friends since ${since(friend.since)}`,
          h(
            "a",
            {
              class: "button secondary small",
              href: `/photos?owner=${encodeURIComponent(friend.username)}`,
              "aria-label": `Photos by ${name}`,
            },
            "Photos",
          ),
          button("Unfriend", `Unfriend ${name}`, unfriend, "danger"),
        );
      }),
    );
  }

  const form = h(
    "form",
    { class: "form add-friend" },
    field("Username", "username", {
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
    }),
    submitButton("Send request"),
  );
  onSubmit(
    form,
    async ({ username }) => {
      const request = await api("/friends/requests", {
        method: "POST",
        body: { username: username.trim() },
      });
      form.reset();
      // They had asked me already: that request was accepted instead.
      const other = request.from === me ? request.to : request.from;
      const accepted = request.status === "accepted";
      notify(accepted ? `You and ${other} are friends now` : `Request sent to ${other}`);
      reload();
    },
    // No such user, myself, already friends: all about the name typed.
    { fieldOf: (error) => (error.status >= 400 && error.status < 500 ? "username" : undefined) },
  );

  container.append(
    heading("Friends"),
    section("friends-add", "Add a friend", form),
    section("friends-requests", "Requests", requests),
    section("friends-list", "My friends", friends),
  );
  reload();
}

function section(id, title, ...content) {
  const labelled = { class: "section", "aria-labelledby": id };
  return h("section", labelled, h("h2", { id }, title), ...content);
}

function person(name, detail, ...actions) {
  return h(
    "li",
    { class: "person" },
    h(
      "div",
      { class: "person-text" },
      h("span", { class: "person-name" }, name),
      h("span", { class: "muted" }, detail),
    ),
    h("div", { class: "person-actions" }, ...actions),
  );
}
