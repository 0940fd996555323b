// The timeline: photos grouped by the day they were taken, newest first, loaded page by page
// on the v2 cursor as the reader scrolls. Day counts cover the photos loaded so far; a "+"
// says the day may go on in the next page.
import { api } from "./api.js";
import { clear, el } from "./dom.js";
import { dayKey, formatDay, plural } from "./format.js";

const PAGE = 100;

export class Timeline {
  constructor(container, { query, onOpen, onEmpty, status }) {
    this.container = container;
    this.query = query;
    this.onOpen = onOpen;
    this.onEmpty = onEmpty;
    this.status = status;
    this.reset();
  }

  reset() {
    this.items = [];
    this.cursor = undefined; // undefined: first page not loaded; null: no more pages
    this.days = new Map();
    this.generation = (this.generation || 0) + 1;
    this.loading = null;
    clear(this.container);
  }

  get done() {
    return this.cursor === null;
  }

  /** Load the next page; resolves true when photos were added. */
  loadMore() {
    if (this.done) return Promise.resolve(false);
    if (!this.loading) this.loading = this.fetchPage(this.cursor, false);
    return this.loading;
  }

  /** Reload from the first page (after uploads). The old grid stays until the new one is
   * ready, so the page does not flash empty. */
  refresh() {
    this.generation += 1;
    this.loading = this.fetchPage(undefined, true);
    return this.loading;
  }

  fetchPage(cursor, replace) {
    const generation = this.generation;
    if (!replace) this.status.textContent = "Loading photos…";
    return api("/photos", { query: { ...this.query, limit: PAGE, cursor } })
      .then((page) => {
        if (generation !== this.generation) return false; // a refresh overtook this page
        if (replace) {
          this.reset();
          this.generation = generation;
        }
        this.cursor = page.next_cursor || null;
        this.append(page.items);
        this.status.textContent = "";
        if (this.done && !this.items.length) this.onEmpty();
        return page.items.length > 0;
      })
      .catch((err) => {
        if (generation === this.generation) this.status.textContent = `Could not load photos: ${err.message}`;
        return false;
      })
      .finally(() => {
        if (generation === this.generation) this.loading = null;
      });
  }

  append(photos) {
    for (const photo of photos) {
      this.items.push(photo);
      this.daySection(dayKey(photo)).grid.append(this.tile(photo));
    }
    this.updateCounts();
  }

  daySection(key) {
    let day = this.days.get(key);
    if (!day) {
      const count = el("span", { class: "count" });
      const grid = el("div", { class: "grid" });
      const section = el("section", { class: "day", dataset: { day: key } },
        el("h2", {}, el("time", { datetime: key }, formatDay(key)), " ", count), grid);
      day = { section, grid, count };
      this.days.set(key, day);
      // Days arrive newest first; an undo can bring back a day that sorts in between.
      const later = [...this.days.keys()].filter((k) => k < key).sort().reverse()[0];
      const before = later && later !== key ? this.days.get(later).section : null;
      this.container.insertBefore(section, before && before.isConnected ? before : null);
    }
    return day;
  }

  tile(photo) {
    const name = photo.filename || photo.id.slice(0, 12);
    return el("button", {
      type: "button", class: "tile" + (photo.favourite ? " favourite" : ""),
      dataset: { id: photo.id }, title: name, "aria-label": name,
      onclick: () => this.onOpen(this.indexOf(photo.id)),
    }, el("img", {
      src: photo.urls.thumbnail, alt: "", loading: "lazy", decoding: "async",
      // A photo the server cannot make a thumbnail of (a pixel bomb, damaged bytes) is kept:
      // show that it is there, without a picture.
      onerror: (event) => event.target.replaceWith(el("span", { class: "no-thumb" }, "no preview")),
    }));
  }

  updateCounts() {
    const keys = [...this.days.keys()];
    for (const [i, key] of keys.entries()) {
      const day = this.days.get(key);
      const n = day.grid.children.length;
      const more = !this.done && i === keys.length - 1;
      day.count.textContent = plural(n, "photo") + (more ? "+" : "");
    }
  }

  indexOf(id) {
    return this.items.findIndex((p) => p.id === id);
  }

  tileFor(id) {
    return this.container.querySelector(`.tile[data-id="${CSS.escape(id)}"]`);
  }

  update(photo) {
    const i = this.indexOf(photo.id);
    if (i < 0) return;
    this.items[i] = photo;
    const tile = this.tileFor(photo.id);
    if (tile) tile.classList.toggle("favourite", Boolean(photo.favourite));
  }

  /** Remove a photo (moved to the trash); returns its index for a later reinsert. */
  remove(id) {
    const i = this.indexOf(id);
    if (i < 0) return -1;
    const [photo] = this.items.splice(i, 1);
    const tile = this.tileFor(id);
    if (tile) tile.remove();
    const key = dayKey(photo);
    const day = this.days.get(key);
    if (day && !day.grid.children.length) {
      day.section.remove();
      this.days.delete(key);
    }
    this.updateCounts();
    if (!this.items.length && this.done) this.onEmpty();
    return i;
  }

  /** Put a photo back where it was (undo of a delete). */
  reinsert(photo, index) {
    const at = Math.min(Math.max(index, 0), this.items.length);
    this.items.splice(at, 0, photo);
    const emptyState = this.container.querySelector(".empty-state");
    if (emptyState) emptyState.remove();
    const grid = this.daySection(dayKey(photo)).grid;
    const next = this.items.slice(at + 1).find((p) => dayKey(p) === dayKey(photo));
    const nextTile = next ? this.tileFor(next.id) : null;
    grid.insertBefore(this.tile(photo), nextTile);
    this.updateCounts();
  }
}

/** Call loadMore whenever the sentinel under the timeline comes near the viewport. */
export function infiniteScroll(sentinel, source) {
  // Observing afresh makes the observer report the sentinel's state now: after a page was
  // added and the sentinel is still in view (a tall screen), or after a refresh.
  const recheck = () => {
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  };
  const observer = new IntersectionObserver(async (entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    if ((await source.loadMore()) && !source.done) recheck();
  }, { rootMargin: "1200px 0px" });
  observer.observe(sentinel);
  return { recheck };
}
