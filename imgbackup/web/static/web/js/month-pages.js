// What the timeline keeps in memory of each month, so that memory stays flat from the newest
// photo to the oldest of a million, and through a month of any size:
// - a month far from the screen keeps only its count and the height it had (its photos are
//   dropped, and fetched again when it comes near: the page does not move, as its height stays);
// - in a month near the screen, a page (a run of photos fetched together) far from the screen is
//   "folded": it keeps its cursor, its count, where it lies, where its layout starts (layout.js's
//   state: a line, or a day and the few photos of a row begun on the page before) and its
//   photos' shapes (each one's aspect ratio in a Float32Array, and its days as runs of a count),
//   and none of its photos. The pages near the screen are laid out from the first one's state,
//   so every photo stays where it was; a folded page is fetched again, by its cursor, when it
//   comes near. After the width changes, the whole month is laid out again from the shapes (a
//   folded page's photos stand in by their shape), which gives every page its new state and
//   place, and nothing is fetched. A month's last page stays while more are to come: the next
//   one starts from it.
// The selection is a set of ids (selection.js), so it outlives both.
import { dayKey } from "./format.js";
import { aspectOf, bodyHeight, layoutRun, startState } from "./layout.js";

/** What the timeline's list shows in place of a folded page's photo (viewer.js: ``stub``). */
export const FOLDED = Object.freeze({ stub: true });

/**
 * A month known from the skeleton only: nothing fetched yet. ``listed`` and ``version`` are what
 * the skeleton said of it (``count`` becomes the real number once it is all loaded: a picture
 * that two partners hold is counted twice there), for the next refresh to compare.
 */
export function emptyMonth(key, count, version) {
  return { key, count, listed: count, version, pages: [], cursor: undefined, loading: null, filling: new Map(), layout: null, end: null };
}

/** A page as fetched: ``photos`` held, null once folded. */
export function newPage(cursor, photos) {
  return { cursor, count: photos.length, photos, entry: null, span: null, first: null, last: null, shape: null };
}

/** Whether the month may change what it holds now (no fetch of it under way). */
function idle(month) {
  return !month.loading && !month.filling.size;
}

/** Drop a month's photos, keeping its height; true when something was dropped. */
export function dropMonth(month) {
  if (!idle(month) || (!month.pages.length && month.cursor === undefined)) return false;
  const height = month.layout ? month.layout.height : 0;
  Object.assign(month, { pages: [], cursor: undefined, end: null });
  month.layout = height ? { days: [], loaded: 0, height, kept: true } : null;
  return true;
}

/** Forget what the month loaded: it starts again from its first page. */
export function restartMonth(month) {
  Object.assign(month, { pages: [], cursor: undefined, end: null, layout: null });
}

/** The photos the month holds, in order (a folded page's are not among them). */
export function heldPhotos(month) {
  return month.pages.flatMap((page) => page.photos || []);
}

/**
 * The month's photos in order, FOLDED in place of a folded page's; the last photos of a folded
 * page that the next page's layout carries (the start of a row it finishes) are themselves.
 */
export function itemsOf(month) {
  return month.pages.flatMap((page, k) => {
    if (page.photos) return page.photos;
    const next = month.pages[k + 1];
    const carried = next && next.photos && next.entry ? next.entry.carry.slice(-page.count) : [];
    return [...Array(page.count - carried.length).fill(FOLDED), ...carried];
  });
}

/** How many photos the month has loaded, held or folded. */
export function loadedCount(month) {
  return month.pages.reduce((sum, page) => sum + page.count, 0);
}

/**
 * Lay out the month at ``width``: each run of pages held is laid out from its first page's state
 * (a folded page keeps where it lies); {days, loaded, height} as the timeline draws it. When the
 * width changed since a page was folded, the pages' states and places are found again first.
 */
export function layoutPages(month, width, height, headWidth) {
  if (month.width !== width && month.pages.some((page) => !page.photos)) {
    restate(month, width, height, headWidth);
  }
  month.width = width;
  const placed = [];
  let end = month.end;
  for (let k = 0; k < month.pages.length;) {
    if (!month.pages[k].photos) {
      k += 1;
      continue;
    }
    let last = k;
    while (last + 1 < month.pages.length && month.pages[last + 1].photos) last += 1;
    const run = month.pages.slice(k, last + 1);
    const from = k ? run[0].entry : startState();
    if (!from) return restarted(month, width, height, headWidth);
    const laid = layoutRun(run.map((page) => page.photos), from, width, height, headWidth);
    run.forEach((page, n) => Object.assign(page, { entry: laid.states[n], span: laid.spans[n] }));
    placed.push(...laid.days);
    countOn(laid.days.at(-1), month.pages.slice(last + 1));
    if (last === month.pages.length - 1) end = { loaded: laid.loaded, lineHeight: laid.lineHeight };
    k = last + 1;
  }
  if (!month.pages.length) end = { loaded: startState().y, lineHeight: 0 };
  if (!end) return restarted(month, width, height, headWidth);
  month.end = end;
  const missing = month.count - loadedCount(month);
  return { days: placed, loaded: end.loaded, height: bodyHeight(end.loaded, end.lineHeight, missing, width, height) };
}

/**
 * Give every page of the month its state and place at ``width``: the whole month laid out once,
 * a folded page's photos standing in by their shapes (standIns). Nothing is fetched; the pages
 * held are laid out from these states next, as after any fold.
 */
function restate(month, width, height, headWidth) {
  const pages = month.pages.map((page, k) => page.photos || standIns(page, month.pages[k + 1]));
  const laid = layoutRun(pages, startState(), width, height, headWidth);
  month.pages.forEach((page, k) => Object.assign(page, { entry: laid.states[k], span: laid.spans[k] }));
  month.end = { loaded: laid.loaded, lineHeight: laid.lineHeight };
}

/**
 * What lays a folded page out in place of its photos: for each, its aspect ratio and day
 * (``stub``: no tile is drawn for it, the viewer fetches its page first); its last photos
 * themselves where the page after, held, still carries them (the start of a row it finishes).
 */
function standIns(page, next) {
  const carried = next && next.photos && next.entry ? next.entry.carry.slice(-page.count) : [];
  const photos = [];
  let at = 0;
  for (const { key, count } of page.shape.days) {
    for (const end = at + count; at < end; at += 1) {
      photos.push({ stub: true, taken_at: key, aspect: page.shape.aspects[at] });
    }
  }
  photos.splice(page.count - carried.length, carried.length, ...carried);
  return photos;
}

/** A page's photos as a folded page keeps them: each one's aspect ratio, as layout.js reads it
 * (4 bytes), and its days as runs [{key, count}] (a month has at most 31). */
function shapeOf(photos) {
  const aspects = new Float32Array(photos.length);
  const days = [];
  photos.forEach((photo, k) => {
    aspects[k] = aspectOf(photo);
    const key = dayKey(photo);
    if (days.length && days.at(-1).key === key) days.at(-1).count += 1;
    else days.push({ key, count: 1 });
  });
  return { aspects, days };
}

/** Count into a day cut short by folded ``pages`` after it their photos of that day. */
function countOn(day, pages) {
  for (const page of pages) {
    if (!day || page.photos) return;
    const lead = page.shape.days[0];
    if (lead.key !== day.key) return;
    day.count += lead.count;
    if (lead.count < page.count) return;
  }
}

/** A month whose held pages cannot be placed (an edit took the page a state came from): from
 * its first page again. */
function restarted(month, width, height, headWidth) {
  restartMonth(month);
  return layoutPages(month, width, height, headWidth);
}

/** The folded pages of the month that lie in [from, to) (body coordinates). */
export function foldedPagesIn(month, from, to) {
  if (!month.layout || month.layout.kept) return [];
  const pages = [];
  month.pages.forEach((page, k) => {
    if (!page.photos && page.span.bottom >= from && page.span.top < to) pages.push(k);
  });
  return pages;
}

/**
 * Fold the month's pages held outside [from, to) (body coordinates); true if any was. Not its
 * last page while more are to come (the next page's layout starts from it).
 */
export function foldMonth(month, from, to) {
  if (!idle(month) || !month.layout || month.layout.kept) return false;
  let changed = false;
  month.pages.forEach((page, k) => {
    if (!page.photos || !page.count || (page.span.bottom >= from && page.span.top < to)) return;
    if (k === month.pages.length - 1 && month.cursor !== null) return;
    Object.assign(page, { first: page.photos[0].id, last: page.photos.at(-1).id,
      shape: shapeOf(page.photos), photos: null });
    changed = true;
  });
  return changed;
}

/**
 * Put page ``k``'s photos, fetched again, back in the month; true when they are the same
 * photos. When they are not, the library changed under the folded page (an upload, a delete):
 * the month starts again from its first page.
 */
export function unfoldPage(month, k, photos) {
  const page = month.pages[k];
  if (!page || page.photos) return false; // started again meanwhile
  const same = photos.length === page.count && photos[0]?.id === page.first && photos.at(-1)?.id === page.last;
  if (same) Object.assign(page, { photos, shape: null });
  else restartMonth(month);
  month.layout = null;
  return same;
}

/** The month, page and photo at ``index`` of all the months' photos in order (itemsOf), or null. */
export function locate(months, index) {
  let offset = 0;
  for (const month of months) {
    for (let k = 0; k < month.pages.length; k += 1) {
      const page = month.pages[k];
      if (index < offset + page.count) {
        return { month, page: k, photo: page.photos ? page.photos[index - offset] : FOLDED };
      }
      offset += page.count;
    }
  }
  return null;
}

/** How many photos the months hold in full, and folded (the page shows it for tests). */
export function heldCounts(months) {
  let full = 0;
  let folded = 0;
  for (const month of months) {
    for (const page of month.pages) {
      if (page.photos) full += page.count;
      else folded += page.count;
    }
  }
  return { full, folded };
}
