// Formatting for people. Dates are shown as the camera recorded them: a photo taken at
// 23:30 in Tokyo belongs to that day in Tokyo, whatever the viewer's time zone.

const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  timeZone: "UTC",
});

/** "2024-05-01T12:34:56+02:00" -> "2024-05-01": the day where the photo was taken. */
export function dayKey(photo) {
  const stamp = photo.taken_at || photo.uploaded_at || "";
  return /^\d{4}-\d{2}-\d{2}/.test(stamp) ? stamp.slice(0, 10) : "unknown";
}

export function formatDay(key) {
  if (key === "unknown") return "Unknown date";
  return dayFormat.format(new Date(key + "T00:00:00Z"));
}

/** The wall-clock time written in an ISO stamp, without converting it to the viewer's zone. */
export function formatLocal(stamp) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(stamp || "");
  if (!m) return stamp || "";
  const shown = dateTimeFormat.format(new Date(`${m[1]}T${m[2]}:00Z`));
  // A camera without a time zone is stored as UTC: "+00:00" is not worth showing.
  const zone = m[3] && m[3] !== "Z" && m[3] !== "+00:00" ? ` (UTC${m[3]})` : "";
  return shown + zone;
}

export function formatBytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function plural(n, one, many = one + "s") {
  return `${n} ${n === 1 ? one : many}`;
}

/** Whole days from now until an ISO stamp, never below 0. */
export function daysLeft(stamp, now = Date.now()) {
  const when = Date.parse(stamp);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - now) / 86400000));
}

const TAKEN_SOURCES = { exif: "from the camera", file: "from the file's date", upload: "upload time" };
export function takenSource(source) {
  return TAKEN_SOURCES[source] || "";
}

/** The camera as people name it: make and model, the make left out when the model starts
 * with it ("Canon" + "Canon EOS R6" -> "Canon EOS R6"; "NIKON CORPORATION" + "NIKON D850"
 * -> "NIKON D850"; "Apple" + "iPhone 15" -> "Apple iPhone 15"). */
export function cameraName(make, model) {
  const brand = (make || "").trim().split(/\s+/)[0].toLowerCase();
  if (brand && (model || "").toLowerCase().startsWith(brand)) return model;
  return [make, model].filter(Boolean).join(" ");
}

/** Seconds as a clock: 75.4 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
