// What the timeline keeps in memory of each month, so that memory stays flat from the newest
// photo to the oldest of a million:
// - a month far from the screen keeps only its count and the height it had (its photos are
//   dropped, and fetched again when it comes near: the page does not move, as its height stays);
// - in a month near the screen, a page (a run of photos fetched together) far from the screen
//   keeps only what the layout needs of each photo (id, aspect, date): a "stub". Its place on
//   the page is unchanged, and the page is fetched again, by its cursor, when it comes near.
// The selection is a set of ids (selection.js), so it outlives both.
import { DAY_HEAD } from "./layout.js";

/** A month known from the skeleton only: nothing fetched yet. */
export function emptyMonth(key, count) {
  return { key, count, items: [], pages: [], cursor: undefined, loading: null, filling: new Map(), layout: null };
}

/** What a photo far from the screen keeps: enough to lay it out, select it, and fetch it again. */
export function stubOf(photo) {
  return { id: photo.id, aspect: photo.aspect, taken_at: photo.taken_at, uploaded_at: photo.uploaded_at,
    read_only: photo.read_only, stub: true };
}

/** Whether the month may change what it holds now (no fetch of it under way). */
function idle(month) {
  return !month.loading && !month.filling.size;
}

/** Drop a month's photos, keeping its height; true when something was dropped. */
export function dropMonth(month) {
  if (!idle(month) || (!month.items.length && month.cursor === undefined)) return false;
  const height = month.layout ? month.layout.height : 0;
  Object.assign(month, { items: [], pages: [], cursor: undefined });
  month.layout = height ? { days: [], loaded: 0, height, kept: true } : null;
  return true;
}

/** The index range [start, end) of the month's page ``k``. */
export function pageRange(month, k) {
  const next = month.pages[k + 1];
  return [month.pages[k].start, next ? next.start : month.items.length];
}

/**
 * Where each page of the month lies, from the top of its body (the layout's coordinates):
 * [{top, bottom}] by page. Walks the laid-out tiles, which keep the photos' order.
 */
export function pageSpans(month) {
  const spans = month.pages.map(() => ({ top: Infinity, bottom: -Infinity }));
  let index = 0;
  let k = 0;
  for (const day of month.layout.days) {
    for (const row of day.rows) {
      const top = day.y + DAY_HEAD + row.y;
      for (let n = 0; n < row.tiles.length; n += 1, index += 1) {
        while (k + 1 < month.pages.length && index >= month.pages[k + 1].start) k += 1;
        const span = spans[k];
        span.top = Math.min(span.top, top);
        span.bottom = Math.max(span.bottom, top + row.height);
      }
    }
  }
  return spans;
}

/** Whether page ``k`` holds stubs (it must be fetched again before it is drawn). */
export function isStubbed(month, k) {
  const [start] = pageRange(month, k);
  return Boolean(month.items[start]?.stub);
}

/** The pages of the month holding stubs that lie in [from, to) (body coordinates). */
export function stubbedPagesIn(month, from, to) {
  if (!month.layout || month.layout.kept || !month.pages.length) return [];
  const pages = [];
  pageSpans(month).forEach((span, k) => {
    if (span.bottom >= from && span.top < to && isStubbed(month, k)) pages.push(k);
  });
  return pages;
}

/**
 * Put page ``k``'s photos, fetched again, in place of its stubs; true when they are the same
 * photos. When they are not, the library changed under the stubs (an upload, a delete): the
 * month starts again from its first page.
 */
export function replacePage(month, k, photos) {
  if (!month.pages[k]) return false; // started again meanwhile
  const [start, end] = pageRange(month, k);
  const same = photos.length === end - start && photos.every((p, i) => p.id === month.items[start + i]?.id);
  if (same) month.items.splice(start, end - start, ...photos);
  else Object.assign(month, { items: [], pages: [], cursor: undefined });
  month.layout = null;
  return same;
}

/** The month, page and photo at ``index`` of all the months' photos in order, or null. */
export function locate(months, index) {
  let offset = 0;
  for (const month of months) {
    if (index < offset + month.items.length) {
      const at = index - offset;
      return { month, page: month.pages.findLastIndex((p) => p.start <= at), photo: month.items[at] };
    }
    offset += month.items.length;
  }
  return null;
}

/** Turn the month's pages outside [from, to) (body coordinates) into stubs; true if any was. */
export function compactMonth(month, from, to) {
  if (!idle(month) || !month.layout || month.layout.kept || !month.pages.length) return false;
  let changed = false;
  pageSpans(month).forEach((span, k) => {
    if ((span.bottom >= from && span.top < to) || isStubbed(month, k)) return;
    const [start, end] = pageRange(month, k);
    for (let i = start; i < end; i += 1) month.items[i] = stubOf(month.items[i]);
    changed = true;
  });
  return changed;
}

/** How many photos the months hold in full, and as stubs (the page shows it for tests). */
export function heldCounts(months) {
  let full = 0;
  let stubs = 0;
  for (const month of months) {
    for (const photo of month.items) {
      if (photo.stub) stubs += 1;
      else full += 1;
    }
  }
  return { full, stubs };
}
