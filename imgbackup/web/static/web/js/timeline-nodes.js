// The timeline's nodes: year and month headings, day headings and photo tiles. Each is made
// once and then only moved (timeline.js places them); what they do when clicked is passed in.
import { el } from "./dom.js";
import { formatDay, formatDuration, plural } from "./format.js";

const monthName = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });

export function monthLabel(key) {
  return monthName.format(new Date(`${key}-01T00:00:00Z`));
}

export function yearHead(month) {
  return el("h2", { class: "year" }, month.key.slice(0, 4));
}

export function monthHead(month, onSelect) {
  return el("h2", { class: "month", dataset: { month: month.key } },
    el("button", { type: "button", class: "check month-check", "aria-label": `Select ${monthLabel(month.key)}`,
      onclick: onSelect }),
    el("span", {}, monthLabel(month.key)), " ",
    el("span", { class: "count" }, plural(month.count, "photo")));
}

/** A day's heading; ``onSelect(head)`` toggles its photos (``head.dayPhotos``, kept current). */
export function dayHead(day, onSelect) {
  const head = el("div", { class: "day", dataset: { day: day.key } },
    el("button", { type: "button", class: "check day-check", "aria-label": `Select ${formatDay(day.key)}`,
      onclick: () => onSelect(head) }),
    el("time", { datetime: day.key }, formatDay(day.key)), " ", el("span", { class: "count" }));
  return head;
}

/** The width a day's heading needs, measured in ``container`` as drawn (its fonts, its
 * locale): the widest date (a Wednesday of September) with a count of hundreds. */
export function dayHeadWidth(container) {
  const probe = dayHead({ key: "2026-09-30" }, () => {});
  probe.querySelector(".count").textContent = plural(999, "photo");
  probe.style.visibility = "hidden";
  container.append(probe);
  const width = Math.ceil(probe.getBoundingClientRect().width) + 4;
  probe.remove();
  return width;
}

/** A photo's tile: ``onOpen(event)`` on the photo, ``onCheck(event)`` on its check box. */
export function tile(photo, { selected, onOpen, onCheck }) {
  const name = photo.filename || photo.id.slice(0, 12);
  const node = el("div", { class: "tile" + (photo.favourite ? " favourite" : ""), dataset: { id: photo.id } },
    el("button", { type: "button", class: "open", title: name, "aria-label": name, onclick: onOpen },
      el("img", {
        src: photo.urls.thumbnail, alt: "", loading: "lazy", decoding: "async",
        // A photo the server cannot make a thumbnail of (a pixel bomb, damaged bytes) is kept:
        // show that it is there, without a picture.
        onerror: (event) => event.target.replaceWith(el("span", { class: "no-thumb" }, "no preview")),
      })),
    photo.media_type === "video" ? el("span", { class: "badge duration", "aria-label": "video" },
      photo.duration ? formatDuration(photo.duration) : "▶") : null,
    photo.has_motion ? el("span", { class: "badge live", "aria-label": "Live Photo" }, "LIVE") : null,
    // A partner's photo (merged into this timeline): theirs, read-only, never selected.
    photo.read_only ? el("span", { class: "badge owner", title: `Shared by ${photo.owner}` }, photo.owner)
      : el("button", { type: "button", class: "check", "aria-label": `Select ${name}`,
        "aria-pressed": String(selected), onclick: onCheck }));
  node.classList.toggle("selected", selected);
  node.photo = photo;
  return node;
}

/** Whether the tile made of photo ``a`` shows photo ``b`` as it is (a refresh keeps it). */
export function sameTile(a, b) {
  const shown = (p) => [p.id, p.filename, p.urls.thumbnail, p.favourite, p.media_type, p.duration,
    p.has_motion, p.read_only, p.owner];
  return Boolean(a) && shown(a).every((value, k) => value === shown(b)[k]);
}
