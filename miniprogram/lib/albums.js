// Albums and sharing a photo: the calls to /api/v2/albums, the album picker the photos page
// offers, and wx.showShareImageMenu. The pages/albums and pages/album pages and the photos
// page's long-press menu use this module; the network goes through lib/api.js.
//
// What the device asks for and this module does:
// - wx.request has no PATCH: a rename is a POST with `X-HTTP-Method-Override: PATCH`;
// - wx.showActionSheet takes at most 6 items: the picker lists 4 albums a sheet, then "更多…";
// - wx.showShareImageMenu needs a local or temp file (`path`), never a URL: the ~1440 px
//   preview (upright JPEG, no original bytes, no need for the album permission) is downloaded
//   with the token first; `needShowEntrance` is false, since WeChat refuses the entrance
//   (`fail forbidden`) outside a few app categories, and a photo backup is not one of them;
// - a network failure is a toast (the person retries with a pull down); an answer the person
//   must read (a gone album, a refusal) is a modal.

const api = require('./api.js')
const gallery = require('./gallery.js')

const ENDPOINT = '/api/v2/albums'
const SHEET_MAX = 6 // wx.showActionSheet's itemList limit
const NAME_MAX = 200 // the server's limit on a name
const GONE = '相簿不存在，或已不再与你共享。'

/**
 * @typedef {{id: string, name: string, description: string, owner: string,
 *            role: 'owner' | 'contributor' | 'viewer', count: number, cover: string | null,
 *            cover_url: string | null}} Album
 * @typedef {{id: string, urls: {preview: string}}} Shareable
 */

/** @param {string} id */
function path (id) {
  return `${ENDPOINT}/${encodeURIComponent(id)}`
}

/** The caller's albums and those shared with them. @returns {Promise<{mine: Album[], shared: Album[]}>} */
async function list () {
  const res = await api.request(ENDPOINT)
  /** @type {Album[]} */
  const items = res.items
  return {
    mine: items.filter((album) => album.role === 'owner'),
    shared: items.filter((album) => album.role !== 'owner')
  }
}

/** An album with its `items` (the API sends them all at once). @param {string} id */
function get (id) {
  return api.request(path(id))
}

/** @param {string} name @returns {Promise<Album>} */
function create (name) {
  return api.request(ENDPOINT, { method: 'POST', data: { name } })
}

/** @param {string} id @param {string} name */
function rename (id, name) {
  return api.request(path(id), {
    method: 'POST', data: { name }, header: { 'X-HTTP-Method-Override': 'PATCH' }
  })
}

/** An own album without a cover gets the first photo the person adds. @param {string} id @param {string} photoId */
async function firstCover (id, photoId) {
  try {
    await api.request(path(id), {
      method: 'POST', data: { cover: photoId }, header: { 'X-HTTP-Method-Override': 'PATCH' }
    })
  } catch (err) {
    // The photo is in the album; a missing cover only leaves a grey square.
  }
}

/** The album goes; its photos stay in their owners' libraries. @param {string} id */
function remove (id) {
  return api.request(path(id), { method: 'DELETE' })
}

/** @param {string} id @param {string[]} ids @returns {Promise<{done: string[], not_found: string[]}>} */
function addPhotos (id, ids) {
  return api.request(path(id) + '/photos', { method: 'POST', data: { ids } })
}

/** Out of the album, never out of the library. @param {string} id @param {string[]} ids */
function removePhotos (id, ids) {
  return api.request(path(id) + '/photos', { method: 'DELETE', data: { ids } })
}

let me = /** @type {Promise<string> | null} */ (null)

/** The person's username on the server: what another user types to share an album with them. */
function username () {
  if (!me) {
    me = api.request('/api/v2/me').then((res) => String(res.username))
    me.catch(() => { me = null })
  }
  return me
}

/** Cover thumbnails of this session, by URL. @type {Map<string, Promise<string>>} */
const covers = new Map()

/** A cover thumbnail's temp file, downloaded with the token once per session. @param {string} url */
function cover (url) {
  let known = covers.get(url)
  if (!known) {
    known = api.downloadFile(url)
    known.catch(() => covers.delete(url)) // a failed one is tried again next time
    covers.set(url, known)
  }
  return known
}

/** No answer came, and trying again may help. @param {unknown} err */
function offline (err) {
  return err instanceof api.ApiError && err.statusCode === 0 && err.code !== 'domain'
}

/**
 * Tell the person what went wrong: a short toast when the network failed, else a modal (a
 * 404 about an album says the album is gone, not "this photo").
 * @param {unknown} err @param {string} title @param {{album?: boolean}} [about]
 */
function report (err, title, about) {
  if (offline(err)) {
    const e = /** @type {InstanceType<typeof api.ApiError>} */ (err)
    wx.showToast({ title: e.code === 'timeout' ? '连接服务器超时' : '网络不可用，请稍后重试', icon: 'none' })
    return
  }
  if (about && about.album && err instanceof api.ApiError && err.statusCode === 404) {
    wx.showModal({ title, content: GONE, showCancel: false })
    return
  }
  api.showError(err, title)
}

/** @param {WechatMiniprogram.ShowModalOption} options @returns {Promise<WechatMiniprogram.ShowModalSuccessCallbackResult | null>} */
function modal (options) {
  return new Promise((resolve) => {
    wx.showModal(Object.assign({}, options, { success: resolve, fail: () => resolve(null) }))
  })
}

/**
 * Ask for an album's name in an editable modal. Resolves null when cancelled or left empty.
 * @param {string} title @param {string} [current]
 */
async function askName (title, current) {
  const answer = await modal({ title, editable: true, placeholderText: '相簿名称', content: current || '', confirmText: '确定' })
  const name = answer && answer.confirm ? String(answer.content || '').trim() : ''
  if (!name) return null
  if (name.length > NAME_MAX) {
    wx.showToast({ title: `名称最多 ${NAME_MAX} 个字`, icon: 'none' })
    return null
  }
  return name
}

/** Ask yes or no (the button text ≤ 4 characters). @param {string} title @param {string} content @param {string} confirmText */
async function confirm (title, content, confirmText) {
  const answer = await modal({ title, content, confirmText, confirmColor: '#FA5151' })
  return Boolean(answer && answer.confirm)
}

/** @param {string[]} itemList ≤ 6 items @returns {Promise<number>} the index tapped, -1 when cancelled */
function sheet (itemList) {
  return new Promise((resolve) => {
    wx.showActionSheet({ itemList, success: (res) => resolve(res.tapIndex), fail: () => resolve(-1) })
  })
}

/** An album's name short enough for an action sheet's line. @param {string} name */
function short (name) {
  return name.length > 16 ? name.slice(0, 15) + '…' : name
}

const NEW_ALBUM = '新建相簿…'
const MORE = '更多…'

/**
 * The albums a photo can go into (the caller's own, and those shared as contributor), in
 * action sheets of at most 6 items: up to 4 albums, "更多…" when there are more, "新建相簿…".
 * @returns {Promise<Album | 'new' | null>} null: cancelled
 */
async function pick () {
  const { mine, shared } = await list()
  const albums = mine.concat(shared.filter((album) => album.role === 'contributor'))
  const perSheet = albums.length <= SHEET_MAX - 1 ? SHEET_MAX - 1 : SHEET_MAX - 2
  for (let from = 0; ; from += perSheet) {
    const page = albums.slice(from, from + perSheet)
    const more = from + perSheet < albums.length
    const items = page.map((album) => short(album.name)).concat(more ? [MORE, NEW_ALBUM] : [NEW_ALBUM])
    const tapped = await sheet(items)
    if (tapped < 0) return null
    if (tapped < page.length) return page[tapped]
    if (items[tapped] === NEW_ALBUM) return 'new'
  }
}

/**
 * Put one photo into an album the person picks (or a new one they name).
 * @param {{id: string}} photo @returns {Promise<boolean>} added
 */
async function addToAlbum (photo) {
  try {
    const picked = await pick()
    if (!picked) return false
    let album = picked
    if (album === 'new') {
      const name = await askName('新建相簿')
      if (!name) return false
      album = await create(name)
    }
    const res = await addPhotos(album.id, [photo.id])
    if (!res.done.length) {
      wx.showModal({ title: '未能加入相簿', content: '这张照片已不在你的照片中（可能已被删除）。', showCancel: false })
      return false
    }
    if (album.role === 'owner' && !album.cover) await firstCover(album.id, photo.id)
    wx.showToast({ title: '已加入相簿', icon: 'success' })
    return true
  } catch (err) {
    report(err, '未能加入相簿', { album: true })
    return false
  }
}

/**
 * Share a photo with WeChat's own image menu (send to a friend, Moments, favourites). The
 * preview is downloaded with the token first: the menu takes a local file only.
 * @param {Shareable} photo @returns {Promise<boolean>} the menu was shown and not cancelled
 */
async function share (photo) {
  let file
  wx.showLoading({ title: '准备图片', mask: true })
  try {
    file = await gallery.preview(/** @type {any} */ (photo))
  } catch (err) {
    wx.hideLoading()
    report(err, '无法分享')
    return false
  }
  wx.hideLoading()
  try {
    await new Promise((resolve, reject) => {
      wx.showShareImageMenu({ path: file, needShowEntrance: false, success: resolve, fail: reject })
    })
    return true
  } catch (err) {
    const errMsg = err && typeof err === 'object' && 'errMsg' in err ? String(err.errMsg) : ''
    if (/cancel/.test(errMsg)) return false // the person closed the menu
    report(err, '无法分享')
    return false
  }
}

/** The photos page's long-press items after its own, and what each does. */
const PHOTO_ACTIONS = ['分享给朋友', '加入相簿']

/** @param {number} index in PHOTO_ACTIONS @param {Shareable} photo */
function photoAction (index, photo) {
  return index === 0 ? share(photo) : addToAlbum(photo)
}

module.exports = {
  GONE,
  list,
  get,
  create,
  rename,
  remove,
  addPhotos,
  removePhotos,
  cover,
  username,
  report,
  askName,
  confirm,
  sheet,
  pick,
  addToAlbum,
  share,
  PHOTO_ACTIONS,
  photoAction
}
