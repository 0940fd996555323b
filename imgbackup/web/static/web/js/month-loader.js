// The timeline's fetches: the skeleton (months and their counts), a month's next page, and a
// folded page again (month-pages.js). A refresh starts a new generation, and an answer to
// an older one is dropped: a slow page never lands in a timeline that was reloaded meanwhile.
import { api } from "./api.js";
import { emptyMonth, loadedCount, newPage, unfoldPage } from "./month-pages.js";

const PAGE = 500;
const RELOAD = 4; // pages at most fetched again before a changed month is swapped in

export class MonthLoader {
  /**
   * ``landed(refilled)`` after a page changed what a month holds (a next page, or a folded page
   * ``refilled``), ``settled()`` once a fetch of a next page is over (another may be
   * due), ``failed(err)`` when a fetch failed.
   */
  constructor(query, { landed, settled, failed }) {
    this.query = query;
    this.landed = landed;
    this.settled = settled;
    this.failed = failed;
    this.generation = 0;
  }

  /** The months with their counts, newest first; null when it failed or a newer one began. */
  async skeleton() {
    const generation = ++this.generation;
    let answer;
    try {
      answer = await api("/timeline/buckets", { query: this.query });
    } catch (err) {
      this.failed(err);
      return null;
    }
    return generation === this.generation ? answer.buckets : null;
  }

  /** Fetch the month's next page; true when it brought photos. */
  nextPage(month) {
    if (month.loading) return month.loading;
    const cursor = month.cursor;
    month.loading = this.fetch(month, PAGE, cursor, false, (page) => {
      if (month.cursor !== cursor) return false; // the month started again meanwhile
      if (page.items.length) month.pages.push(newPage(cursor, page.items));
      month.cursor = page.next_cursor || null;
      if (month.cursor === null) month.count = loadedCount(month);
      month.layout = null;
      return page.items.length > 0;
    }).finally(() => {
      month.loading = null;
      this.settled();
    });
    return month.loading;
  }

  /**
   * A fresh copy of ``month`` (``count`` and ``version`` from a newer skeleton), fetched as far
   * as the old one had loaded (at most RELOAD pages; the rest loads as it comes near), for the
   * timeline to swap in whole: the old one stays on screen meanwhile. null when nothing came (a
   * fetch failed, or a newer refresh began: that one fetches it again).
   */
  async reload(month, count, version) {
    const generation = this.generation;
    const fresh = emptyMonth(month.key, count, version);
    const want = Math.max(loadedCount(month), 1);
    for (let k = 0; k < RELOAD && fresh.cursor !== null && loadedCount(fresh) < want; k += 1) {
      if (!(await this.nextPage(fresh))) break;
    }
    if (generation !== this.generation || fresh.cursor === undefined) return null;
    return fresh;
  }

  /** Fetch page ``k`` of the month again (it was folded); the layout does not move. */
  refill(month, k) {
    if (month.filling.has(k)) return month.filling.get(k);
    const filling = this.fetch(month, month.pages[k].count, month.pages[k].cursor, true,
      (page) => unfoldPage(month, k, page.items))
      .finally(() => month.filling.delete(k));
    month.filling.set(k, filling);
    return filling;
  }

  /** The ids of every photo of the month the user may select, fetched page by page and not
   * kept (its pages far from the screen are folded); null when a fetch failed. */
  async selectableIds(month) {
    const ids = [];
    let cursor;
    try {
      do {
        const page = await api(`/timeline/buckets/${month.key}`, { query: { ...this.query, limit: PAGE, cursor } });
        ids.push(...page.items.filter((p) => !p.read_only).map((p) => p.id));
        cursor = page.next_cursor;
      } while (cursor);
    } catch (err) {
      this.failed(err);
      return null;
    }
    return ids;
  }

  /** One page of ``month``: ``use(page)`` answers for it, unless a refresh came meanwhile. */
  fetch(month, limit, cursor, refilled, use) {
    const generation = this.generation;
    return api(`/timeline/buckets/${month.key}`, {
      query: { ...this.query, limit, cursor },
    }).then((page) => {
      if (generation !== this.generation) return false;
      const answer = use(page);
      this.landed(refilled);
      return answer;
    }).catch((err) => {
      if (generation === this.generation) this.failed(err);
      return false;
    });
  }
}
