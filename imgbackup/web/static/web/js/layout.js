// The timeline's geometry, as pure functions of photos and a width: justified rows that keep
// each photo's aspect ratio and fill the width, days that flow side by side while they fit,
// and an estimate for photos not loaded yet so the page is the right height from the start.
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

function aspectOf(photo) {
  const aspect = Number(photo.aspect);
  // A panorama is shown at most 4:1 and a strip at most 1:3, so no tile is a sliver.
  return aspect > 0 ? Math.min(Math.max(aspect, 1 / 3), 4) : SQUARE;
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

/**
 * One month's layout below its heading: days placed left to right while they fit on a line
 * (a day of one row takes its natural width), each a justified block under its heading.
 * ``missing`` photos not loaded yet are counted into the height as typical rows.
 * A day is at least ``headWidth`` wide, the room its heading needs (its whole date and count).
 * Returns {days: [{key, count, photos, x, y, width, rows}], loaded, height}: ``loaded`` is
 * where the loaded photos end.
 */
export function layoutMonth(photos, missing, width, height, headWidth = 240) {
  const placed = [];
  let x = 0;
  let y = MONTH_HEAD;
  let lineHeight = 0;
  for (const day of days(photos)) {
    const block = justify(day.photos, width, height);
    const blockWidth = Math.min(width, Math.max(block.width, headWidth)); // room for the date
    if (x > 0 && x + blockWidth > width) {
      y += lineHeight + GAP * 2;
      x = 0;
      lineHeight = 0;
    }
    placed.push({ key: day.key, count: day.photos.length, photos: day.photos, x, y, width: blockWidth, rows: block.rows });
    lineHeight = Math.max(lineHeight, DAY_HEAD + block.height);
    x += blockWidth + GAP * 4;
    if (block.rows.length > 1) x = width; // a full-width day ends its line
  }
  y += lineHeight;
  const loaded = y;
  if (missing > 0) {
    const perRow = Math.max(1, Math.floor(width / (TYPICAL_ASPECT * height + GAP)));
    y += (lineHeight ? GAP * 2 : 0) + DAY_HEAD + Math.ceil(missing / perRow) * (height + GAP);
  }
  return { days: placed, loaded, height: y + GAP * 6 };
}
