// The date scrubber down the right edge: years marked at their true place in the library
// (the skeleton's layout, so before any photo loads), a drag or a click jumps anywhere, and
// the month under the pointer is shown while dragging.
import { el } from "./dom.js";
import { monthLabel } from "./timeline.js";

// The height a year label needs on the bar, in pixels (its font is .7rem).
const LABEL_HEIGHT = 14;

export class Scrubber {
  constructor(root, timeline) {
    this.root = root;
    this.timeline = timeline;
    this.marks = el("div", { class: "scrubber-marks" });
    this.thumb = el("div", { class: "scrubber-thumb" });
    this.bubble = el("div", { class: "scrubber-bubble", hidden: true });
    root.append(this.marks, this.thumb, this.bubble);
    timeline.onLayout(() => this.draw());
    window.addEventListener("scroll", () => this.follow(), { passive: true });
    root.addEventListener("pointerdown", (event) => {
      root.setPointerCapture(event.pointerId);
      this.dragging = true;
      const year = event.target.closest?.(".scrubber-year");
      if (year) this.toYear(event, year.dataset.month);
      else this.seek(event);
    });
    root.addEventListener("pointermove", (event) => (this.dragging ? this.seek(event) : this.hint(event)));
    root.addEventListener("pointerup", () => { this.dragging = false; this.bubble.hidden = true; });
    root.addEventListener("pointercancel", () => { this.dragging = false; this.bubble.hidden = true; });
    root.addEventListener("pointerleave", () => { if (!this.dragging) this.bubble.hidden = true; });
  }

  get total() {
    return parseFloat(this.timeline.container.style.height) || 0;
  }

  /** Year marks where each year starts; hidden when the library fits in a few screens.
   * Marks are kept and moved, not rebuilt, as months load and the layout settles. */
  draw() {
    const total = this.total;
    this.root.hidden = total < innerHeight * 2;
    if (this.root.hidden) return;
    this.marksByMonth ||= new Map();
    const wanted = new Set();
    for (const month of this.timeline.months) {
      if (!month.yearHead) continue;
      wanted.add(month.key);
      let mark = this.marksByMonth.get(month.key);
      if (!mark) {
        mark = el("span", { class: "scrubber-year", dataset: { month: month.key } }, month.key.slice(0, 4));
        this.marksByMonth.set(month.key, mark);
        this.marks.append(mark);
      }
      mark.style.top = `${(100 * month.top) / total}%`;
    }
    for (const [key, mark] of this.marksByMonth) {
      if (!wanted.has(key)) {
        mark.remove();
        this.marksByMonth.delete(key);
      }
    }
    this.crowd();
    this.follow();
  }

  /** A year of few photos sits a pixel or two from the next on the bar: its label would be
   * drawn over the next one. Newest first, a label that would touch the one above it is
   * shown as a dot (still a year mark: pressing it jumps to that year, hovering names it). */
  crowd() {
    const height = this.root.clientHeight;
    let free = -Infinity;
    const marks = [...this.marksByMonth.values()]
      .map((mark) => ({ mark, y: (parseFloat(mark.style.top) / 100) * height }))
      .sort((a, b) => a.y - b.y);
    for (const { mark, y } of marks) {
      const dot = y < free;
      mark.classList.toggle("scrubber-dot", dot);
      if (!dot) free = y + LABEL_HEIGHT;
    }
  }

  follow() {
    const total = this.total;
    if (!total || this.root.hidden) return;
    const y = -this.timeline.container.getBoundingClientRect().top;
    this.thumb.style.top = `${Math.min(100, Math.max(0, (100 * y) / total))}%`;
  }

  /** The month at a pointer's height, and that height as a fraction of the bar. */
  at(event) {
    const box = this.root.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    const y = fraction * this.total;
    const months = this.timeline.months;
    const month = months.find((m) => m.top + m.height > y) || months.at(-1);
    return { fraction, month, offset: event.clientY - box.top };
  }

  hint(event) {
    const { month, offset } = this.at(event);
    if (!month) return;
    this.bubble.textContent = monthLabel(month.key);
    this.bubble.style.top = `${offset}px`;
    this.bubble.hidden = false;
  }

  /** A year's label pressed: that year's start (its newest month at the top of the screen),
   * not the spot of the label under the pointer, which at a million photos is ~70 000 px,
   * several pages of 500, into the month. Moving the pointer from there drags as usual. */
  toYear(event, key) {
    this.hint(event);
    this.bubble.textContent = monthLabel(key);
    this.timeline.jumpTo(key);
  }

  seek(event) {
    const { fraction, month } = this.at(event);
    if (!month) return;
    this.hint(event);
    // Under the sticky bars, not behind them: the spot pressed is at the top of what is seen.
    const covered = document.querySelector(".toolbar")?.getBoundingClientRect().bottom || 0;
    const top = this.timeline.container.getBoundingClientRect().top + scrollY - covered;
    window.scrollTo({ top: top + fraction * this.total });
    this.timeline.render();
  }
}
