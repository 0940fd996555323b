// Playing a backed-up video. `<video src>` sends no Authorization header, so the page asks the
// server for a short-lived signed URL (GET /api/v2/photos/{id}/playback-url: valid ten minutes
// plus the video's length, for this user and this video only) and gives that to `<video>`,
// which streams it and seeks with Range requests. Downloading the whole file first with the
// header (wx.downloadFile) would wait for all of it, fail past 200 MB or 60 s, and fill the
// phone's temp space: see README.md.

const api = require('./api.js')

// A copy browsers can play is being made (202): ask again this often, this many times.
const settings = { retryMs: 5000, tries: 6 }
// A URL is used again until this long before it expires.
const MARGIN_MS = 60 * 1000

/** Signed URLs of this session, by video id. @type {Map<string, {url: string, until: number}>} */
const known = new Map()

/**
 * The absolute URL `<video>` plays the video `id` from. Rejects ApiError (404: a photo, or a
 * video no playable copy can be made of), or Error when the copy is still being made after all
 * the tries.
 * @param {string} id
 * @param {(waiting: boolean) => void} [onWait] told while the server is making a playable copy
 * @returns {Promise<string>}
 */
async function playbackUrl (id, onWait) {
  const cached = known.get(id)
  if (cached && cached.until - MARGIN_MS > Date.now()) return cached.url
  for (let i = 0; i < settings.tries; i++) {
    const res = await api.request(`/api/v2/photos/${id}/playback-url`)
    if (res && res.url) {
      const url = api.url(res.url)
      known.set(id, { url, until: Date.parse(res.expires_at) })
      return url
    }
    if (onWait) onWait(true)
    const wait = res && res.retry_after ? res.retry_after * 1000 : settings.retryMs
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, settings.retryMs)))
  }
  throw new Error('视频正在转换为手机可以播放的格式，请稍后再试。')
}

module.exports = { settings, playbackUrl }
