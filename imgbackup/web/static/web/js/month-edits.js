// Changes to the loaded months as the user makes them (a favourite, a delete and its undo),
// without asking the server again: plain functions over timeline.js's list of months. They
// change the pages held (month-pages.js); a folded page after a changed one would no longer
// start where its state says, so the month lets go of the pages from there on, and fetches
// them again as next pages when they come near.
import { emptyMonth, newPage } from "./month-pages.js";

/** The month and page holding the loaded photo ``id``, and its index in the page; or null. */
function find(months, id) {
  for (const month of months) {
    for (const page of month.pages) {
      const at = page.photos ? page.photos.findIndex((p) => p.id === id) : -1;
      if (at >= 0) return { month, page, at };
    }
  }
  return null;
}

/** After a change to ``page``: let go of the pages after it from the first folded one on. */
function changed(month, page) {
  const folded = month.pages.findIndex((p, k) => k > month.pages.indexOf(page) && !p.photos);
  if (folded >= 0) {
    month.cursor = month.pages[folded].cursor;
    month.pages.length = folded;
  }
  month.end = null;
  month.layout = null;
}

/** Put ``photo`` in place of the loaded photo with its id; false when it is not loaded. */
export function replacePhoto(months, photo) {
  const found = find(months, photo.id);
  if (!found) return false;
  found.page.photos[found.at] = photo;
  return true;
}

/** Change ``fields`` of the loaded photos in ``ids``. */
export function patchPhotos(months, ids, fields) {
  for (const month of months) {
    for (const page of month.pages) {
      if (page.photos) page.photos = page.photos.map((p) => (ids.has(p.id) ? { ...p, ...fields } : p));
    }
  }
}

/** Take the loaded photo ``id`` out of its month; the months left (without one left empty). */
export function removePhoto(months, id) {
  const found = find(months, id);
  if (!found) return months; // only ever shown, on a page folded since: the next refresh drops it
  const { month, page, at } = found;
  page.photos.splice(at, 1);
  page.count -= 1; // a page left empty stays, laid out as nothing: the next one's state holds
  changed(month, page);
  month.count -= 1;
  return month.count ? months : months.filter((m) => m !== month);
}

/** Put ``photo`` back in its month, in timeline order; true when its month had to be made. */
export function insertPhoto(months, photo) {
  const key = (photo.taken_at || "").slice(0, 7);
  let month = months.find((m) => m.key === key);
  const made = !month;
  if (made) {
    month = { ...emptyMonth(key, 0), cursor: null };
    const after = months.findIndex((m) => m.key < key);
    months.splice(after < 0 ? months.length : after, 0, month);
  }
  const page = month.pages.find((p) => p.photos && p.photos.some((q) => q.taken_at < photo.taken_at))
    || month.pages.findLast((p) => p.photos);
  if (page) {
    const at = page.photos.findIndex((p) => p.taken_at < photo.taken_at);
    page.photos.splice(at < 0 ? page.photos.length : at, 0, photo);
    page.count += 1;
    changed(month, page);
  } else {
    month.pages.push(newPage(month.cursor === null ? undefined : month.cursor, [photo]));
  }
  month.count += 1;
  month.layout = null;
  return made;
}
