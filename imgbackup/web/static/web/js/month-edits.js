// Changes to the loaded months as the user makes them (a favourite, a delete and its undo),
// without asking the server again: plain functions over timeline.js's list of months.
import { emptyMonth } from "./month-pages.js";

/** The loaded month that holds the photo ``id``. */
export function monthOf(months, id) {
  return months.find((m) => m.items.some((p) => p.id === id));
}

/** Put ``photo`` in place of the loaded photo with its id; false when it is not loaded. */
export function replacePhoto(months, photo) {
  const month = monthOf(months, photo.id);
  if (!month) return false;
  month.items[month.items.findIndex((p) => p.id === photo.id)] = photo;
  return true;
}

/** Change ``fields`` of the loaded photos in ``ids``. */
export function patchPhotos(months, ids, fields) {
  for (const month of months) {
    month.items = month.items.map((p) => (ids.has(p.id) ? { ...p, ...fields } : p));
  }
}

/** Take the loaded photo ``id`` out of its month; the months left (without one left empty). */
export function removePhoto(months, id) {
  const month = monthOf(months, id);
  month.items = month.items.filter((p) => p.id !== id);
  month.count -= 1;
  month.layout = null;
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
  const at = month.items.findIndex((p) => p.taken_at < photo.taken_at);
  month.items.splice(at < 0 ? month.items.length : at, 0, photo);
  month.count += 1;
  month.layout = null;
  return made;
}
