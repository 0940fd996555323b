// A video's duration as its tile's badge shows it.

/** 75.4 → '1:15', 3725 → '1:02:05'. @param {number} seconds */
function clock (seconds) {
  const s = Math.max(0, Math.round(seconds || 0))
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0')
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`
}

module.exports = { clock }
