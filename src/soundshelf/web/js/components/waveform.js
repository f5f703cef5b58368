// <ss-waveform>: a track's peaks drawn on a canvas, doubling as the seek bar. It is a
// role="slider" so keyboards and screen readers can seek as well as pointers. Give it
// `peaks`, `duration` and `position` (seconds); it fires "seek" with the chosen seconds.
import { formatTime } from "../ui.js";

const KEY_STEPS = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -30, PageUp: 30 };
const BAR = 2; // px, and one px of gap after each bar

class Waveform extends HTMLElement {
  #peaks = [];
  #duration = 0;
  #position = 0;
  #dragging = false;
  #canvas = document.createElement("canvas");

  connectedCallback() {
    if (this.#canvas.isConnected) return;
    this.#canvas.setAttribute("aria-hidden", "true");
    this.append(this.#canvas);
    this.setAttribute("role", "slider");
    this.setAttribute("tabindex", "0");
    this.setAttribute("aria-valuemin", "0");
    if (!this.hasAttribute("aria-label")) this.setAttribute("aria-label", "Seek");
    this.addEventListener("keydown", (event) => this.#onKey(event));
    this.addEventListener("pointerdown", (event) => this.#onPointerDown(event));
    this.addEventListener("pointermove", (event) => this.#onPointerMove(event));
    this.addEventListener("pointerup", (event) => this.#onPointerUp(event));
    this.addEventListener("pointercancel", () => {
      this.#dragging = false;
    });
    new ResizeObserver(() => this.#draw()).observe(this);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.#draw());
    this.#update();
  }

  set peaks(peaks) {
    this.#peaks = peaks || [];
    this.#draw();
  }

  set duration(seconds) {
    this.#duration = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
    this.#update();
  }

  set position(seconds) {
    if (this.#dragging) return; // the pointer decides until it lets go
    this.#position = seconds;
    this.#update();
  }

  #update() {
    const now = Math.min(this.#position, this.#duration);
    this.setAttribute("aria-valuemax", String(Math.round(this.#duration)));
    this.setAttribute("aria-valuenow", String(Math.round(now)));
    this.setAttribute("aria-valuetext", `${formatTime(now)} of ${formatTime(this.#duration)}`);
    this.#draw();
  }

  #seek(seconds) {
    this.#position = Math.max(0, Math.min(seconds, this.#duration));
    this.#update();
    this.dispatchEvent(new CustomEvent("seek", { detail: this.#position }));
  }

  #onKey(event) {
    let target = null;
    if (event.key in KEY_STEPS) target = this.#position + KEY_STEPS[event.key];
    else if (event.key === "Home") target = 0;
    else if (event.key === "End") target = this.#duration;
    if (target === null || !this.#duration) return;
    event.preventDefault();
    this.#seek(target);
  }

  #secondsAt(event) {
    const box = this.getBoundingClientRect();
    return ((event.clientX - box.left) / box.width) * this.#duration;
  }

  #onPointerDown(event) {
    if (!this.#duration || event.button !== 0) return;
    this.setPointerCapture(event.pointerId);
    this.#dragging = true;
    this.#position = this.#secondsAt(event);
    this.#update();
  }

  #onPointerMove(event) {
    if (!this.#dragging) return;
    this.#position = Math.max(0, Math.min(this.#secondsAt(event), this.#duration));
    this.#update();
  }

  #onPointerUp(event) {
    if (!this.#dragging) return;
    this.#dragging = false;
    this.#seek(this.#secondsAt(event));
  }

  #draw() {
    const width = this.clientWidth;
    const height = this.clientHeight;
    if (!width || !height) return;
    const scale = devicePixelRatio || 1;
    this.#canvas.width = Math.round(width * scale);
    this.#canvas.height = Math.round(height * scale);
    const context = this.#canvas.getContext("2d");
    context.scale(scale, scale);
    const styles = getComputedStyle(this);
    const played = styles.getPropertyValue("--wave-played");
    const rest = styles.getPropertyValue("--wave-rest");
    const bars = Math.max(1, Math.floor(width / (BAR + 1)));
    const progress = this.#duration ? this.#position / this.#duration : 0;
    for (let bar = 0; bar < bars; bar += 1) {
      const peak = this.#peakOf(bar, bars);
      const barHeight = Math.max(2, peak * height);
      context.fillStyle = (bar + 0.5) / bars <= progress ? played : rest;
      context.fillRect(bar * (BAR + 1), (height - barHeight) / 2, BAR, barHeight);
    }
  }

  // The loudest peak under one bar; a low flat line while there are no peaks yet.
  #peakOf(bar, bars) {
    const peaks = this.#peaks;
    if (!peaks.length) return 0.12;
    const from = Math.floor((bar * peaks.length) / bars);
    const to = Math.max(from + 1, Math.floor(((bar + 1) * peaks.length) / bars));
    let loudest = 0;
    for (let i = from; i < to && i < peaks.length; i += 1) loudest = Math.max(loudest, peaks[i]);
    return loudest;
  }
}

customElements.define("ss-waveform", Waveform);
