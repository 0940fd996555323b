// The timeline for libraries of any size. The server's skeleton (months and their counts)
// gives the page its full height before any photo loads; a month's photos are fetched only
// when it comes near the viewport, and only the tiles near the viewport exist in the DOM, so
// memory and node count stay flat from the newest photo to the oldest of a million.
// This file keeps the state and places the nodes; beside it, one job each: layout.js (justified
// rows, days side by side), month-loader.js (fetches), month-pages.js (what a month keeps in
// memory), month-edits.js (the user's changes to loaded photos), timeline-nodes.js (the nodes).
import { plural } from "./format.js";
import { rowHeightFor, tileAt, tileOf } from "./layout.js";
import { insertPhoto, patchPhotos, removePhoto, replacePhoto } from "./month-edits.js";
import { MonthLoader } from "./month-loader.js";
import { dropMonth, emptyMonth, foldMonth, foldedPagesIn, heldCounts, itemsOf, layoutPages, locate } from "./month-pages.js";
import { dayHead, dayHeadWidth, monthHead, monthLabel, sameTile, tile, yearHead } from "./timeline-nodes.js";

export { monthLabel };

const MARGIN = 1; // screens kept in the DOM above and below the viewport (bench/analysis.md)
const KEEP = 4; // screens above and below the viewport whose photos stay in memory (month-pages.js)
const YEAR_HEAD = 64;

export class Timeline {
  constructor(container, { query, onOpen, onEmpty, status, selection }) {
    this.container = container;
    this.onOpen = onOpen;
    this.onEmpty = onEmpty;
    this.status = status;
    this.selection = selection;
    this.months = [];
    this.nodes = new Map(); // key -> element placed now
    this.swaps = new Map(); // changed month -> its fresh copy, to swap in when the viewer closes
    this.listeners = new Set();
    this.width = 0;
    this.frame = 0;
    this.loader = new MonthLoader(query, {
      landed: (refilled) => {
        this.itemsCache = null;
        this.counted();
        if (refilled) this.schedule();
        else this.render();
      },
      // The render after a next page ran while it still counted as loading, so it could not
      // ask for the page after; a jump deep into a big month needs several in a row.
      settled: () => this.schedule(),
      failed: (err) => this.failed(err),
    });
    const schedule = () => this.schedule();
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", () => { this.resized = true; this.schedule(); });
    selection.onChange(() => this.paintSelection());
  }

  /** Called after every layout: the scrubber listens. */
  onLayout(listener) {
    this.listeners.add(listener);
  }

  /** (Re)load the skeleton; the photos on screen reload as they are drawn. */
  async refresh() {
    const buckets = await this.loader.skeleton();
    if (!buckets) return false;
    this.status.textContent = "";
    const old = new Map(this.months.map((m) => [m.key, m]));
    this.months = buckets.map(({ month, count, version }) => {
      const before = old.get(month);
      if (!before) return emptyMonth(month, count, version);
      // A month whose count and version did not change keeps what it loaded: no refetch. (A
      // server that sends no version leaves the counts alone to tell.)
      if (before.listed === count && before.version === version) return before;
      // One that changed keeps showing what it loaded until its fresh copy has come: no flash.
      if (!before.pages.length) return emptyMonth(month, count, version);
      this.reload(before, count, version);
      return before;
    });
    this.counted();
    this.itemsCache = null;
    this.width = 0;
    for (const node of this.nodes.values()) node.remove();
    this.nodes.clear();
    if (!this.months.length) this.onEmpty();
    else this.container.querySelector(".empty-state")?.remove();
    this.render();
    return true;
  }

  /** Fetch a changed month again and swap it in once it came (its photos on screen stay put
   * until then); while the viewer holds the indexes, once it lets go. */
  async reload(month, count, version) {
    const fresh = await this.loader.reload(month, count, version);
    if (!fresh) return;
    if (this.held) this.swaps.set(month, fresh);
    else this.swap(month, fresh);
  }

  swap(month, fresh) {
    const at = this.months.indexOf(month);
    if (at < 0) return; // gone from the skeleton meanwhile
    // Where the old one lay, so that the layout keeps what is on screen still (relayout).
    Object.assign(fresh, { top: month.top, height: month.height, offset: month.offset, yearHead: month.yearHead });
    this.months[at] = fresh;
    this.itemsCache = null;
    // Remade: its heading (the count) and the tiles that show something else now (a LIVE
    // badge, a favourite); the others stay as they are, their images too.
    this.nodes.get(`m:${month.key}`)?.remove();
    this.nodes.delete(`m:${month.key}`);
    for (const photo of itemsOf(fresh)) {
      const node = this.nodes.get(photo.id);
      if (node && !photo.stub && !sameTile(node.photo, photo)) {
        node.remove();
        this.nodes.delete(photo.id);
      }
    }
    this.counted();
    this.render();
  }

  /** Every loaded photo, in timeline order (the viewer walks this); a folded page's are stubs
   * (month-pages.js FOLDED) until fetched again (ready()). */
  get items() {
    if (!this.itemsCache) this.itemsCache = this.months.flatMap((m) => itemsOf(m));
    return this.itemsCache;
  }

  get done() {
    return this.months.every((m) => m.cursor === null);
  }

  /** The next page after the last photo loaded (the viewer stepping past the end). */
  loadMore() {
    let last = -1;
    this.months.forEach((m, i) => { if (m.pages.length) last = i; });
    const month = this.months.slice(Math.max(last, 0)).find((m) => m.cursor !== null);
    return month ? this.loader.nextPage(month) : Promise.resolve(false);
  }

  /** Make sure the photo at ``index`` of ``items`` is held in full (the viewer steps onto it). */
  async ready(index) {
    const found = locate(this.months, index);
    if (found && found.photo.stub) await this.loader.refill(found.month, found.page);
    return Boolean(this.items[index]) && !this.items[index].stub;
  }

  /** While held (the viewer is open), nothing is dropped: its indexes stay valid. */
  hold(on) {
    this.held = on;
    if (on) return;
    for (const [month, fresh] of this.swaps) this.swap(month, fresh);
    this.swaps.clear();
    this.schedule();
  }

  /** Drop what is far from [from, to) (page coordinates); fetch folded pages inside [near, far).
   * True when a month let go of photos (a folded month is laid out again before it is drawn). */
  keepNear(from, to, near, far) {
    let changed = false;
    for (const month of this.months) {
      const base = month.top + month.offset;
      if (month.top + month.height < from || month.top > to) {
        if (!this.held) changed = dropMonth(month) || changed;
        continue;
      }
      for (const k of foldedPagesIn(month, near - base, far - base)) this.loader.refill(month, k);
      if (!this.held && foldMonth(month, from - base, to - base)) {
        month.layout = null; // the tiles let go of the folded photos; the geometry is the same
        changed = true;
      }
    }
    if (!changed) return false;
    this.itemsCache = null;
    this.counted();
    return true;
  }

  /** The number of photos held, on the container, for tests and anyone curious. */
  counted() {
    const { full, folded } = heldCounts(this.months);
    this.container.dataset.loadedItems = String(full);
    this.container.dataset.foldedItems = String(folded);
  }

  failed(err) {
    this.status.textContent = err.status === 401 ? "Signed out: log in again to see your photos."
      : `Could not load photos: ${err.message}`;
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  /** Lay out what changed, keep the photo under the top of the screen still, draw. */
  relayout() {
    const width = this.container.clientWidth;
    const widthChanged = width !== this.width || this.resized;
    const anchor = this.anchor(widthChanged);
    this.width = width;
    this.resized = false;
    const height = rowHeightFor(width);
    if (widthChanged) this.headWidth = dayHeadWidth(this.container); // fonts may have loaded
    let top = 0;
    let year = null;
    for (const month of this.months) {
      if (!month.layout || widthChanged) {
        month.layout = layoutPages(month, width, height, this.headWidth);
      }
      month.yearHead = month.key.slice(0, 4) !== year;
      year = month.key.slice(0, 4);
      month.top = top;
      month.offset = month.yearHead ? YEAR_HEAD : 0;
      month.height = month.offset + month.layout.height;
      top += month.height;
    }
    this.container.style.height = `${top}px`;
    if (anchor) this.keepStill(anchor);
    for (const listener of this.listeners) listener(this);
  }

  /**
   * The month at the top of the screen and where it was, before a layout moves it; after a
   * resize, also the first photo at the top of the screen (its rows move within the month).
   */
  anchor(resized) {
    if (!this.width) return null;
    const y = -this.container.getBoundingClientRect().top;
    const month = this.months.find((m) => m.top !== undefined && m.top + m.height > y);
    if (!month || month.top >= y) return null;
    const base = month.top + month.offset;
    const photo = resized && month.layout ? tileAt(month.layout.days, y - base) : null;
    return { month, top: month.top, y, photo: photo && { ...photo, top: base + photo.top } };
  }

  /** Scroll so that what ``anchor`` saw at the top of the screen is there again: its photo at the
   * same place (as much of it hidden above the screen as was), else its month. */
  keepStill({ month, top, y, photo }) {
    const now = photo && tileOf(month.layout.days, photo.id);
    if (!now) {
      if (month.top !== top) window.scrollBy(0, month.top - top);
      return;
    }
    const above = Math.min(0, photo.top - y) * (now.height / photo.height);
    const at = Math.max(0, photo.top - y) + above;
    window.scrollBy(0, month.top + month.offset + now.top - at - y);
  }

  render() {
    this.relayout();
    const y = -this.container.getBoundingClientRect().top;
    const from = y - innerHeight * MARGIN;
    const to = y + innerHeight * (1 + MARGIN);
    if (this.keepNear(y - innerHeight * KEEP, y + innerHeight * (1 + KEEP), from, to)) this.relayout();
    const keep = new Set();
    this.previous = null; // nodes go into the DOM in timeline order, for keyboards and readers
    for (const month of this.months) {
      if (month.top + month.height < from || month.top > to) continue;
      const base = month.top + month.offset;
      if (month.cursor !== null && base + month.layout.loaded < to) this.loader.nextPage(month);
      if (month.yearHead) this.place(keep, `y:${month.key}`, month.top, () => yearHead(month));
      this.place(keep, `m:${month.key}`, base, () => monthHead(month, () => this.selectMonth(month)));
      for (const day of month.layout.days) this.placeDay(keep, month, day, base, from, to);
    }
    for (const [key, node] of this.nodes) {
      if (!keep.has(key)) {
        node.remove();
        this.nodes.delete(key);
      }
    }
  }

  placeDay(keep, month, day, base, from, to) {
    const top = base + day.y;
    const bottom = top + 36 + (day.rows.length ? day.rows.at(-1).y + day.rows.at(-1).height : 0);
    if (bottom < from || top > to) return;
    if (!day.continued) { // else its heading lies on a folded page, far above
      const more = month.cursor !== null && day === month.layout.days.at(-1);
      const head = this.place(keep, `d:${month.key}:${day.key}`, top, () => dayHead(day, (node) => this.selectDay(node)), day.x);
      head.style.maxWidth = `${day.width}px`;
      head.querySelector(".count").textContent = plural(day.count, "photo") + (more ? "+" : "");
      head.dayPhotos = day.photos;
    }
    for (const row of day.rows) {
      const rowTop = top + 36 + row.y;
      if (rowTop + row.height < from || rowTop > to) continue;
      for (const one of row.tiles) {
        if (one.photo.stub) continue; // a folded page's, by its shape: fetched when near
        const node = this.place(keep, one.photo.id, rowTop, () => this.tile(one.photo), day.x + one.x);
        node.style.width = `${one.width}px`;
        node.style.height = `${row.height}px`;
      }
    }
  }

  /** Put the node for ``key`` (made by ``make`` the first time) at (x, y). */
  place(keep, key, y, make, x = 0) {
    keep.add(key);
    let node = this.nodes.get(key);
    if (!node) {
      node = make();
      this.nodes.set(key, node);
    }
    const next = this.previous ? this.previous.nextSibling : this.container.firstChild;
    if (node !== next) this.container.insertBefore(node, next);
    this.previous = node;
    node.style.transform = `translate(${x}px, ${y}px)`;
    return node;
  }

  tile(photo) {
    return tile(photo, {
      selected: this.selection.has(photo.id),
      onOpen: (event) => this.clicked(photo, event),
      onCheck: (event) => this.selection.click(photo.id, event.shiftKey, this.selectable),
    });
  }

  /** A day's check box: its own photos (not a partner's) in or out of the selection. */
  selectDay(head) {
    this.selection.toggleAll(head.dayPhotos.filter((p) => !p.stub && !p.read_only).map((p) => p.id));
  }

  /** The loaded photos a selection may hold: the user's own, not a partner's. */
  get selectable() {
    return this.items.filter((p) => !p.stub && !p.read_only);
  }

  clicked(photo, event) {
    if (photo.read_only && (this.selection.size || event.shiftKey)) return;
    if (this.selection.size || event.shiftKey || event.ctrlKey || event.metaKey) {
      this.selection.click(photo.id, event.shiftKey, this.selectable);
    } else {
      this.onOpen(this.indexOf(photo.id));
    }
  }

  /** A month's check box: all its own photos, fetched for their ids (not kept: month-pages.js). */
  async selectMonth(month) {
    const ids = await this.loader.selectableIds(month);
    if (ids) this.selection.toggleAll(ids);
  }

  paintSelection() {
    for (const [key, node] of this.nodes) {
      if (!node.classList.contains("tile")) continue;
      const on = this.selection.has(key);
      node.classList.toggle("selected", on);
      node.querySelector(".check")?.setAttribute("aria-pressed", String(on));
    }
    this.container.classList.toggle("selecting", this.selection.size > 0);
  }

  /** Scroll so that the month ``key`` is at the top of the screen. */
  jumpTo(key) {
    const month = this.months.find((m) => m.key === key);
    if (!month) return;
    const covered = document.querySelector(".toolbar")?.getBoundingClientRect().bottom || 0;
    const top = this.container.getBoundingClientRect().top + scrollY - covered;
    window.scrollTo({ top: top + month.top });
    this.render();
  }

  indexOf(id) {
    return this.items.findIndex((p) => p.id === id);
  }

  tileFor(id) {
    return this.nodes.get(id)?.querySelector(".open") || null;
  }

  update(photo) {
    if (!replacePhoto(this.months, photo)) return;
    this.itemsCache = null;
    this.nodes.get(photo.id)?.classList.toggle("favourite", Boolean(photo.favourite));
  }

  /** Change fields of the loaded photos in ``ids`` (a bulk favourite). */
  patch(ids, fields) {
    const wanted = new Set(ids);
    patchPhotos(this.months, wanted, fields);
    this.itemsCache = null;
    for (const id of wanted) this.nodes.get(id)?.classList.toggle("favourite", Boolean(fields.favourite));
  }

  /** Remove a photo (moved to the trash); returns its index for a later reinsert. */
  remove(id) {
    const index = this.indexOf(id);
    if (index < 0) return -1;
    this.months = removePhoto(this.months, id);
    this.itemsCache = null;
    this.nodes.get(id)?.remove();
    this.nodes.delete(id);
    if (!this.months.length) this.onEmpty();
    this.render();
    return index;
  }

  /** Put a photo back where it belongs (undo of a delete). */
  reinsert(photo) {
    if (insertPhoto(this.months, photo)) this.container.querySelector(".empty-state")?.remove();
    this.itemsCache = null;
    this.render();
  }
}
