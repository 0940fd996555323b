// Which photos are ticked, and what ticking means: a click toggles one, a shift-click ticks
// the range from the last one clicked (in timeline order), a day's or month's tick toggles all
// of it. The bar at the top shows the count and the actions (timeline-page.js).

export class Selection {
  constructor() {
    this.ids = new Set();
    this.last = null;
    this.listeners = new Set();
  }

  get size() {
    return this.ids.size;
  }

  has(id) {
    return this.ids.has(id);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener(this);
  }

  /** A click on a photo's tick (or on the photo while selecting); ``items`` in order. */
  click(id, shift, items) {
    const from = shift && this.last ? items.findIndex((p) => p.id === this.last) : -1;
    const to = items.findIndex((p) => p.id === id);
    if (from >= 0 && to >= 0) {
      const [a, b] = from < to ? [from, to] : [to, from];
      for (const photo of items.slice(a, b + 1)) this.ids.add(photo.id);
    } else if (this.ids.has(id)) {
      this.ids.delete(id);
    } else {
      this.ids.add(id);
    }
    this.last = id;
    this.changed();
  }

  /** Tick all of ``ids``, or untick them all when they already all are. */
  toggleAll(ids) {
    const all = ids.length > 0 && ids.every((id) => this.ids.has(id));
    for (const id of ids) {
      if (all) this.ids.delete(id);
      else this.ids.add(id);
    }
    this.changed();
  }

  clear() {
    if (!this.ids.size) return;
    this.ids.clear();
    this.last = null;
    this.changed();
  }

  list() {
    return [...this.ids];
  }
}
