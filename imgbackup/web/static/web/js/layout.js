// The timeline's geometry, as pure functions of photos and a width: justified rows that keep
// each photo's aspect ratio and fill the width, days that flow side by side while they fit,
// and an estimate for photos not loaded yet so the page is the right height from the start.
// A month is laid out page by page from where each page starts (a small state), so that its
// pages far from the screen need not keep their photos (month-pages.js).
import { dayKey } from "./format.js";

export const GAP = 4;
export const DAY_HEAD = 36; // a day's heading above its photos
export const MONTH_HEAD = 56; // a month's heading ("May 2024") above its days
const SQUARE = 1;
const TYPICAL_ASPECT = 1.4; // what an unseen photo is assumed to be, for estimates

/** The row height that fits the screen: smaller on phones, so rows hold a few photos. */
export function rowHeightFor(width) {
  if (width < 500) return 110;
  if (width < 900) return 160;
  return 210;
}

/** The aspect ratio a photo is laid out at. A panorama is shown at most 4:1 and a strip at most
 * 1:3, so no tile is a sliver; rounded to a 32-bit float, so that a folded page's shapes
 * (month-pages.js, a Float32Array) lay it out exactly as its photos do. */
export function aspectOf(photo) {
  const aspect = Number(photo.aspect);
  return aspect > 0 ? Math.fround(Math.min(Math.max(aspect, 1 / 3), 4)) : SQUARE;
}

/**
 * Lay ``photos`` (one day's, in order) out in rows of about ``height`` px across ``width`` px.
 * Every row but the last is scaled to fill the width exactly; the last keeps ``height`` and
 * its natural width. Returns {rows: [{y, height, tiles: [{photo, x, width}]}], width, height}.
 */
export function justify(photos, width, height) {
  const rows = [];
  let current = [];
  let aspects = 0;
  let y = 0;
  const close = (fill) => {
    const gaps = GAP * (current.length - 1);
    const rowHeight = fill ? (width - gaps) / aspects : height;
    let x = 0;
    const tiles = current.map((photo) => {
      const w = aspectOf(photo) * rowHeight;
      const tile = { photo, x, width: w };
      x += w + GAP;
      return tile;
    });
    rows.push({ y, height: rowHeight, tiles, width: x - GAP });
    y += rowHeight + GAP;
    current = [];
    aspects = 0;
  };
  for (const photo of photos) {
    current.push(photo);
    aspects += aspectOf(photo);
    if (aspects * height + GAP * (current.length - 1) >= width) close(true);
  }
  if (current.length) close(false);
  const used = rows.length === 1 ? rows[0].width : width;
  return { rows, width: used, height: Math.max(0, y - GAP) };
}

/** Photos grouped by day (the order kept): [{key, photos}]. */
export function days(photos) {
  const groups = [];
  for (const photo of photos) {
    const key = dayKey(photo);
    const last = groups[groups.length - 1];
    if (last && last.key === key) last.photos.push(photo);
    else groups.push({ key, photos: [photo] });
  }
  return groups;
}

/** Where a month's body starts: its first line, empty. */
export function startState() {
  return { x: 0, y: MONTH_HEAD, lineHeight: 0, day: null, carry: [] };
}

/**
 * The state where a photo at ``at`` of ``day`` (a day's photos, laid out in ``rows`` from
 * ``rowY`` under a day placed at ``dayY``, ``before`` photos of it in rows further up) begins.
 * Before the day's first row closes, the day's place is not known yet (a day of one row sits
 * beside others): the state is the line before it, carrying the day's photos so far. After,
 * the day is full width and alone on its line: the state is the day, carrying the row begun.
 */
function stateInside(line, day, rows, at, rowY, dayY, before) {
  let start = 0;
  let r = 0;
  while (r + 1 < rows.length && start + rows[r].tiles.length <= at) start += rows[r++].tiles.length;
  if (r === 0 && before === null) return { ...line, day: null, carry: day.photos.slice(0, at) };
  return { x: 0, y: dayY, lineHeight: 0, carry: day.photos.slice(start, at),
    day: { key: day.key, y: dayY, rowY: rowY + rows[r].y, count: (before || 0) + start } };
}

/**
 * Lay out a run of a month's pages (arrays of photos, in order) below its heading, from
 * ``state``: where the run's first page starts (startState() for the month's first page, else
 * what an earlier layout returned for it). Days are placed left to right while they fit on a
 * line (a day of one row takes its natural width), each a justified block under its heading;
 * a day is at least ``headWidth`` wide, the room its heading needs (its whole date and count).
 * A page may begin inside a day, even inside a row: the state says where, so that a run laid
 * out from any page's state places every photo where a layout of the whole month would.
 * Returns {days: [{key, count, photos, x, y, width, rows, continued}], states, spans, loaded}:
 * ``states[k]`` is where page k starts, ``spans[k]`` its {top, bottom}, ``loaded`` where the
 * run's photos end and ``lineHeight`` the last line's height. A day ``continued`` began
 * before the run (its heading is not in it).
 */
export function layoutRun(pages, state, width, height, headWidth = 240) {
  const photos = [...state.carry];
  const starts = [];
  for (const page of pages) {
    starts.push(photos.length);
    photos.push(...page);
  }
  const states = [state];
  const spans = pages.map(() => ({ top: Infinity, bottom: -Infinity }));
  const placed = [];
  let { x, y, lineHeight } = state;
  let index = 0; // of the day's first photo in ``photos``
  let page = -1; // the page of photos[index]: -1 for the carried photos
  for (const day of days(photos)) {
    const continued = index === 0 && state.day && state.day.key === day.key ? state.day : null;
    const block = justify(day.photos, width, height);
    const line = { x, y, lineHeight };
    const rowY = continued ? continued.rowY : 0;
    const blockWidth = continued ? width : Math.min(width, Math.max(block.width, headWidth));
    if (continued) {
      y = continued.y;
      lineHeight = 0;
    } else if (x > 0 && x + blockWidth > width) {
      y += lineHeight + GAP * 2;
      x = 0;
      lineHeight = 0;
    }
    const dayX = continued ? 0 : x;
    const rows = block.rows.map((row) => ({ ...row, y: row.y + rowY }));
    for (let k = 1; k < starts.length; k += 1) {
      const at = starts[k] - index;
      if (at === 0) states[k] = { ...line, day: null, carry: [] };
      else if (at > 0 && at < day.photos.length) {
        states[k] = stateInside(line, day, block.rows, at, rowY, y, continued ? continued.count : null);
      }
    }
    let n = index;
    for (const row of rows) {
      const top = y + DAY_HEAD + row.y;
      for (const one of row.tiles) {
        while (page + 1 < starts.length && n >= starts[page + 1]) page += 1;
        if (page >= 0) {
          spans[page].top = Math.min(spans[page].top, top);
          spans[page].bottom = Math.max(spans[page].bottom, top + row.height);
        }
        n += 1;
      }
    }
    placed.push({ key: day.key, count: (continued ? continued.count : 0) + day.photos.length, photos: day.photos,
      x: dayX, y, width: blockWidth, rows, continued: Boolean(continued) });
    lineHeight = Math.max(lineHeight, DAY_HEAD + rowY + block.height);
    x += blockWidth + GAP * 4;
    if (continued || block.rows.length > 1) x = width; // a full-width day ends its line
    index += day.photos.length;
  }
  return { days: placed, states, spans, loaded: y + lineHeight, lineHeight };
}

/** The first row of laid-out ``days`` that reaches below ``y`` (in the days' coordinates):
 * {id, top, height}, ``id`` its last photo's (a photo held: a folded page's photos standing in
 * by their shape only begin a row, month-pages.js), or null. */
export function tileAt(days, y) {
  for (const day of days) {
    for (const row of day.rows) {
      const top = day.y + DAY_HEAD + row.y;
      if (top + row.height > y) return { id: row.tiles.at(-1).photo.id, top, height: row.height };
    }
  }
  return null;
}

/** Where the photo ``id`` lies in laid-out ``days``: {top, height} of its row, or null. */
export function tileOf(days, id) {
  for (const day of days) {
    for (const row of day.rows) {
      if (row.tiles.some((tile) => tile.photo.id === id)) {
        return { top: day.y + DAY_HEAD + row.y, height: row.height };
      }
    }
  }
  return null;
}

/** The height of a month's body: its photos end at ``loaded`` (the last line ``lineHeight``
 * high), and ``missing`` photos not loaded yet are counted into it as typical rows. */
export function bodyHeight(loaded, lineHeight, missing, width, height) {
  let y = loaded;
  if (missing > 0) {
    const perRow = Math.max(1, Math.floor(width / (TYPICAL_ASPECT * height + GAP)));
    y += (lineHeight ? GAP * 2 : 0) + DAY_HEAD + Math.ceil(missing / perRow) * (height + GAP);
  }
  return y + GAP * 6;
}
