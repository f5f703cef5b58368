// <ss-upload-list>: one row per file with a progress bar (bytes and speed), cancel and
// retry; after the bytes are sent it follows processing until the item is ready or
// failed, and links to the new track.
import { api, uploadFile } from "../api.js";
import { h } from "../dom.js";
import { formatBytes, notify } from "../ui.js";

const PARALLEL = 3;
const GIVE_UP_AFTER_MS = 15 * 60_000;

class UploadList extends HTMLElement {
  #waiting = [];
  #running = 0;
  #list = h("ul", { class: "upload-list", "aria-label": "Uploads" });

  connectedCallback() {
    if (!this.#list.isConnected) this.append(this.#list);
  }

  add(files) {
    for (const file of files) this.#list.prepend(uploadRow(file, (run) => this.#schedule(run)));
  }

  get busy() {
    return this.#running + this.#waiting.length > 0;
  }

  #schedule(run) {
    this.#waiting.push(run);
    this.#next();
  }

  #next() {
    while (this.#running < PARALLEL && this.#waiting.length) {
      const run = this.#waiting.shift();
      this.#running += 1;
      run().finally(() => {
        this.#running -= 1;
        this.#next();
      });
    }
  }
}

customElements.define("ss-upload-list", UploadList);

function uploadRow(file, schedule) {
  const progress = h("progress", {
    max: String(file.size || 1),
    value: "0",
    "aria-label": `Upload of ${file.name}`,
  });
  const status = h("span", { class: "upload-status", role: "status" });
  const detail = h("span", { class: "upload-detail" }, formatBytes(file.size));
  const actions = h("span", { class: "upload-actions" });
  const row = h(
    "li",
    { class: "upload-item" },
    h("span", { class: "upload-name" }, file.name),
    progress,
    h("span", { class: "upload-meta" }, status, detail),
    actions,
  );
  let controller;

  // `state` (waiting, uploading, processing, ready, failed, cancelled) is for styling.
  const show = (state, text, ...buttons) => {
    row.dataset.state = state;
    status.textContent = text;
    actions.replaceChildren(...buttons);
  };
  const button = (label, onclick, style = "secondary") =>
    h(
      "button",
      { class: `button ${style} small`, "aria-label": `${label} ${file.name}`, onclick },
      label,
    );
  const cancel = () => button("Cancel", () => controller.abort());
  const retry = () => button("Retry", queue, "");

  function queue() {
    controller = new AbortController();
    show("waiting", "Waiting", cancel());
    schedule(run);
  }

  async function run() {
    if (controller.signal.aborted) return; // cancelled while waiting
    show("uploading", "Uploading", cancel());
    const speed = speedMeter();
    try {
      const uploadId = await uploadFile(file, {
        signal: controller.signal,
        onProgress: (sent) => {
          progress.value = sent;
          detail.textContent = `${formatBytes(sent)} of ${formatBytes(file.size)} · ${formatBytes(speed(sent))}/s`;
        },
      });
      progress.value = file.size;
      show("processing", "Processing…");
      const result = await whenProcessed(uploadId);
      if (result.status === "ready") {
        show("ready", "Ready", ...resultLinks(result, file.name));
      } else if (result.status === "failed") {
        show("failed", `Failed: ${result.error || "the file could not be processed"}`, retry());
      } else {
        show("processing", "Still processing: look in My tracks later");
      }
    } catch (error) {
      if (error.name === "AbortError") show("cancelled", "Cancelled", retry());
      else show("failed", `Failed: ${error.message}`, retry());
    }
  }

  queue();
  return row;
}

// Bytes per second, smoothed so the number does not jump with every progress event
// (the average so far until there is a quarter second to measure).
function speedMeter() {
  const start = performance.now();
  let last = { at: start, sent: 0 };
  let rate = 0;
  return (sent) => {
    const now = performance.now();
    const seconds = (now - last.at) / 1000;
    if (seconds >= 0.25) {
      const current = (sent - last.sent) / seconds;
      rate = rate ? 0.7 * rate + 0.3 * current : current;
      last = { at: now, sent };
    }
    return rate || sent / Math.max((now - start) / 1000, 0.001);
  };
}

async function whenProcessed(uploadId) {
  const path = `/uploads/${encodeURIComponent(uploadId)}`;
  const until = Date.now() + GIVE_UP_AFTER_MS;
  let wait = 300;
  for (;;) {
    const upload = await api(path);
    if (upload.status === "ready" || upload.status === "failed" || Date.now() > until) {
      return upload;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 1.5, 5000);
  }
}

function resultLinks(result, name) {
  if (result.resultType !== "track") return [];
  const path = `/tracks/${encodeURIComponent(result.resultId)}`;
  const play = async () => {
    try {
      const track = await api(path);
      dispatchEvent(new CustomEvent("ss:play", { detail: { tracks: [track], index: 0 } }));
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  return [
    h("button", { class: "button small", "aria-label": `Play ${name}`, onclick: play }, "Play"),
    h(
      "a",
      { class: "button secondary small", href: `${path}/edit`, "aria-label": `Edit ${name}` },
      "Edit details",
    ),
  ];
}
