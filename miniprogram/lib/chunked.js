// Resumable uploads in chunks, for videos and large files: the server's tus 1.0.0 endpoint
// (`/api/v2/uploads/`, docs/api.md) spoken with wx.request, because on a phone
// - wx.uploadFile sends a whole file in one multipart body that must finish within 60 s and is
//   lost when the app stays in the background for 5 s: a large video would never get through;
// - wx.request cannot send PATCH: chunks are POSTs with `X-HTTP-Method-Override: PATCH`;
// - a chunk is read from the file with FileSystemManager.readFile({position, length}) as an
//   ArrayBuffer: never the whole file in memory.
// Each upload's URL is kept in storage under the file's MD5 and size (not its temp path, which
// changes each time the file is chosen), so after the app was in the background, closed, or the
// file was chosen again, the upload asks the server where it stopped (HEAD) and goes on from
// there. Each chunk carries its MD5 (`Upload-Checksum`): a chunk damaged on the way is refused
// (460) and sent again, alone. The server also checks the whole file's MD5 (sent in
// Upload-Metadata) when the last chunk arrives and keeps nothing if it differs (the file changed
// on the phone during the upload): that upload is gone and the next try begins a new one.

const api = require('./api.js')
const { md5 } = require('./md5.js')

const TUS = '1.0.0'
const CREATE = '/api/v2/uploads/'
const UPLOADS_KEY = 'imgbackup.uploads'
const CHUNK_TYPE = 'application/offset+octet-stream'
const MB = 1024 * 1024
// Settings (tests make them small). A chunk must arrive within wx.request's 60 s: 2 MiB needs an
// uplink of 0.3 Mbit/s. Photos up to `threshold` go in one wx.uploadFile, as before.
// `checksum`: each chunk's MD5 in Upload-Checksum (about 40 ms per 2 MiB in V8; see README.md).
const settings = { threshold: 8 * MB, chunkSize: 2 * MB, timeout: 60000, checksum: true }
// Answers in a row that do not move the upload forward (409 races, a chunk refused by its
// checksum, empty chunks) before giving up.
const MAX_STALLS = 3

/**
 * @typedef {{filePath: string, size: number, md5: string, fileType?: string}} LocalFile
 * @typedef {{url: string, size: number, offset: number, expires?: number}} Remembered
 * (`expires`: ms since the epoch, the server's Upload-Expires; then the entry is dropped)
 */

/** Whether this file goes in chunks: every video, and anything above the threshold. @param {LocalFile} file */
function wanted (file) {
  return file.fileType === 'video' || file.size > settings.threshold
}

/**
 * Upload `file` in chunks (or go on with the upload of it begun before). Resolves with the
 * photo's id; rejects ApiError (statusCode 0: no answer, worth trying again).
 * @param {LocalFile} file
 * @param {(percent: number, moved: boolean) => void} [onProgress] `moved`: the server took
 *   bytes during this call
 * @returns {Promise<string>}
 */
function upload (file, onProgress) {
  return api.uploadSlot(async () => {
    const key = keyOf(file)
    const report = (/** @type {number} */ offset, /** @type {boolean} */ moved) => {
      if (onProgress) onProgress(Math.floor(offset * 100 / file.size), moved)
    }
    const known = remembered()[key]
    let at = known ? await state(known.url) : null
    if (at && at.photoId) return done(key, at.photoId)
    if (!at) {
      const created = await create(file)
      if (created.photoId) return done(key, created.photoId)
      at = created
      remember(key, { url: at.url, size: file.size, offset: at.offset, expires: created.expires })
    }
    return sendFrom(file, key, at.url, at.offset, report)
  })
}

/**
 * PATCH chunk after chunk from `offset` until the server says which photo it made.
 * @param {LocalFile} file @param {string} key @param {string} url @param {number} offset
 * @param {(offset: number, moved: boolean) => void} report
 */
async function sendFrom (file, key, url, offset, report) {
  let stalls = 0
  let moved = false
  report(offset, moved)
  for (;;) {
    const length = Math.min(settings.chunkSize, file.size - offset)
    const data = await readChunk(file.filePath, offset, length)
    /** @type {Record<string, string>} */
    const header = {
      'x-http-method-override': 'PATCH',
      'tus-resumable': TUS,
      'content-type': CHUNK_TYPE,
      'upload-offset': String(offset)
    }
    if (settings.checksum) header['upload-checksum'] = 'md5 ' + base64Bytes(md5(data))
    const res = await api.send(url, { method: 'POST', header, data, timeout: settings.timeout })
    let next = offset
    // This answer's 409 code (`conflict`: another request holds the upload).
    let conflict = ''
    if (res.statusCode === 409 || res.statusCode === 460) {
      // 409: another request moved it (an answer lost on the way back, a second phone). 460: this
      // chunk arrived damaged and was discarded, or the whole file did not match and the upload
      // is gone. Ask where it stands.
      conflict = res.statusCode === 409 ? errorCode(res.data) : ''
      const at = await state(url)
      if (!at) throw gone(key, res.statusCode === 460 ? 460 : 410, res.data)
      if (at.photoId) return done(key, at.photoId)
      next = at.offset
    } else if (res.statusCode < 200 || res.statusCode >= 300) {
      throw gone(key, res.statusCode, res.data)
    } else {
      const photoId = api.headerOf(res.header, 'Imgbackup-Photo-Id')
      if (photoId) return done(key, photoId)
      next = Number(api.headerOf(res.header, 'Upload-Offset'))
    }
    if (!(next > offset)) {
      stalls += 1
      if (stalls >= MAX_STALLS || !(next >= 0)) {
        // Worth trying again by itself, like an answer that never came. Refused as busy (the
        // lease a crashed server left, until it lapses): said so, not "no network".
        throw new api.ApiError(`上传没有进展（服务器停在第 ${next} 字节）`, 0, conflict === 'conflict' ? 'busy' : 'network')
      }
    } else {
      stalls = 0
      moved = true
    }
    offset = next
    remember(key, { url, size: file.size, offset, expires: expiresOf(res.header) })
    report(offset, moved)
  }
}

/** The v2 error code of an answer's body, if it has one. @param {any} body */
function errorCode (body) {
  return body && typeof body === 'object' && body.error ? String(body.error.code || '') : ''
}

/**
 * Where the upload at `url` stands (HEAD), or null when the server no longer has it (404,
 * 410: expired or removed): it is forgotten and a new one begins.
 * @param {string} url @returns {Promise<{url: string, offset: number, photoId: string} | null>}
 */
async function state (url) {
  const res = await api.send(url, { method: 'HEAD', header: { 'tus-resumable': TUS } })
  if (res.statusCode === 404 || res.statusCode === 410) return null
  if (res.statusCode !== 200) throw api.httpError(res.statusCode, res.data)
  const offset = Number(api.headerOf(res.header, 'Upload-Offset'))
  if (!(offset >= 0)) throw new api.ApiError('服务器没有告诉上传的位置（Upload-Offset）', res.statusCode, 'protocol')
  return { url, offset, photoId: api.headerOf(res.header, 'Imgbackup-Photo-Id') }
}

/**
 * A new upload on the server. When the server already has these bytes (same MD5 and size), it
 * says so at once with the photo's id and nothing is sent.
 * @param {LocalFile} file
 * @returns {Promise<{url: string, offset: number, photoId: string, expires: number | undefined}>}
 */
async function create (file) {
  const name = file.filePath.split('/').pop() || 'file'
  const res = await api.send(CREATE, {
    method: 'POST',
    header: {
      'tus-resumable': TUS,
      'upload-length': String(file.size),
      'upload-metadata': `filename ${base64(name)},md5 ${base64(file.md5)}`
    }
  })
  if (res.statusCode !== 201) throw api.httpError(res.statusCode, res.data)
  const location = api.headerOf(res.header, 'Location')
  if (!location) throw new api.ApiError('服务器没有给出上传地址（Location）', res.statusCode, 'protocol')
  return {
    url: location,
    offset: Number(api.headerOf(res.header, 'Upload-Offset')) || 0,
    photoId: api.headerOf(res.header, 'Imgbackup-Photo-Id'),
    expires: expiresOf(res.header)
  }
}

/** `length` bytes of the file from `position`, as an ArrayBuffer (what wx.request sends as is). */
function readChunk (/** @type {string} */ filePath, /** @type {number} */ position, /** @type {number} */ length) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().readFile({
      filePath,
      position,
      length,
      success: (res) => resolve(/** @type {ArrayBuffer} */ (res.data)),
      // The temp file is gone (the app was closed): the person chooses it again, and the upload
      // goes on where it stopped (same MD5 and size).
      fail: (res) => reject(new api.ApiError(res.errMsg, 0, 'file'))
    })
  })
}

/** @param {string} key @param {string} photoId */
function done (key, photoId) {
  forget(key)
  return photoId
}

/**
 * A refusal that ends this upload on the server (expired, removed, checksum mismatch: the
 * server keeps nothing of it): forgotten, so that the next try begins a new one.
 * @param {string} key @param {number} statusCode @param {any} body
 */
function gone (key, statusCode, body) {
  if ([404, 410, 413, 415, 460].includes(statusCode)) forget(key)
  return api.httpError(statusCode, body)
}

/** @param {LocalFile} file */
function keyOf (file) {
  return `${file.md5}:${file.size}`
}

/** When the server removes the upload if nothing more comes (Upload-Expires), in ms. */
function expiresOf (/** @type {Record<string, any>} */ header) {
  const when = Date.parse(api.headerOf(header, 'Upload-Expires'))
  return isNaN(when) ? undefined : when
}

/** Uploads begun and not finished, without those the server has removed by now. @returns {Record<string, Remembered>} */
function remembered () {
  const saved = wx.getStorageSync(UPLOADS_KEY)
  /** @type {Record<string, Remembered>} */
  const all = {}
  for (const [key, value] of Object.entries(saved && typeof saved === 'object' ? saved : {})) {
    if (!(value.expires && value.expires < Date.now())) all[key] = value
  }
  return all
}

/** @param {string} key @param {Remembered} value */
function remember (key, value) {
  const all = remembered()
  all[key] = value
  wx.setStorageSync(UPLOADS_KEY, all)
}

/** @param {string} key */
function forget (key) {
  const all = remembered()
  delete all[key]
  wx.setStorageSync(UPLOADS_KEY, all)
}

/** How far an upload of this file got, in percent, as last heard (for the tile). @param {LocalFile} file */
function progressOf (file) {
  const known = remembered()[keyOf(file)]
  return known ? Math.floor(known.offset * 100 / file.size) : 0
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Base64 of the UTF-8 of `text` (Upload-Metadata's values; the device has no btoa). @param {string} text */
function base64 (text) {
  const binary = unescape(encodeURIComponent(text))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return base64Bytes(bytes)
}

/** @param {Uint8Array} bytes */
function base64Bytes (bytes) {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0)
    out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63] +
      (i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=') +
      (i + 2 < bytes.length ? ALPHABET[n & 63] : '=')
  }
  return out
}

module.exports = { settings, UPLOADS_KEY, wanted, upload, progressOf, base64 }
