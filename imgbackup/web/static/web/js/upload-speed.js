// How fast the uploads go and how long the rest will take, from the bytes sent over the last
// few seconds (a whole-run average would hide a connection that just got slower).
import { formatBytes } from "./format.js";

const WINDOW_MS = 8000;
const MIN_SPAN_MS = 1000;

export class Speedometer {
  constructor(now = () => performance.now()) {
    this.now = now;
    this.sent = 0;
    this.samples = [];
  }

  /** ``bytes`` more were sent (never negative: a retried file does not count twice). */
  add(bytes) {
    if (bytes > 0) this.sent += bytes;
    this.sample();
  }

  sample() {
    const t = this.now();
    this.samples.push([t, this.sent]);
    while (this.samples.length > 2 && t - this.samples[1][0] >= WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second over the window, or null before a second's worth of samples. */
  rate() {
    if (this.samples.length < 2) return null;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 - t0 < MIN_SPAN_MS ? null : ((b1 - b0) * 1000) / (t1 - t0);
  }

  reset() {
    this.samples = [];
  }
}

/** "1.2 MB/s · about 40 s left"; "" when there is nothing to say yet. */
export function speedText(rate, remainingBytes) {
  if (rate === null) return "";
  if (rate <= 0) return remainingBytes > 0 ? "stalled" : "";
  const left = remainingBytes > 0 ? ` · about ${formatDuration(remainingBytes / rate)} left` : "";
  return `${formatBytes(Math.round(rate))}/s${left}`;
}

export function formatDuration(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
