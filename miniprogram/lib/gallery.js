// A paginated grid of the server's photos, shared by the photos and trash pages. `<image src>`
// cannot send the Authorization header, so each thumbnail is downloaded with it and shown
// from its temp file; temp files last the session, so each photo's is kept (by id) and not
// downloaded again.
//
// setData carries at most 1 MB: the list is only ever changed by path (`items[40]`,
// `items[3].thumb`, `items[7].gone`), never sent whole (except page one on a reload).

const api = require('./api.js')

// Photos per page; a setting so that tests can make pages small.
const settings = { pageSize: 30 }

/** Thumbnail and preview temp files of this session, by photo id. */
const thumbs = new Map()
const previews = new Map()
/** Downloads under way, by URL: a second caller shares the first one's. @type {Map<string, Promise<string>>} */
const downloading = new Map()

/**
 * @typedef {{id: string, md5: string, filename: string, urls: {original: string,
 *            thumbnail: string, preview: string}, purge_at?: string | null}} Photo
 * @typedef {{id: string, md5: string, filename: string, urls: Photo['urls'], thumb: string,
 *            daysLeft: number | null, gone: boolean}} Tile
 * @typedef {{data: {items: Tile[], cursor: string | null, loading: boolean, end: boolean,
 *            count: number}, setData: (patch: Record<string, any>) => void}} GalleryPage
 * @typedef {{running: Promise<void> | null, resetWanted: boolean, thumbnails: Promise<any>}} LoadState
 */

/** @type {WeakMap<object, LoadState>} */
const states = new WeakMap()

/** @param {GalleryPage} page @returns {LoadState} */
function stateOf (page) {
  let state = states.get(page)
  if (!state) {
    state = { running: null, resetWanted: false, thumbnails: Promise.resolve() }
    states.set(page, state)
  }
  return state
}

/**
 * Load the first page (`reset`) or the next one of `endpoint` into `page.data.items`.
 * A reload asked for while a load runs is not dropped: it runs next, and the promise resolves
 * when the list is fresh. `loading` is false as soon as the list is in (thumbnails follow).
 * @param {GalleryPage} page
 * @param {string} endpoint e.g. '/api/v2/photos'
 * @param {boolean} reset
 * @returns {Promise<void>}
 */
function loadMore (page, endpoint, reset) {
  const state = stateOf(page)
  if (state.running) {
    if (reset) state.resetWanted = true
    return state.running
  }
  if (!reset && page.data.end) return Promise.resolve()
  state.running = (async () => {
    page.setData({ loading: true })
    try {
      let first = reset
      do {
        state.resetWanted = false
        await loadPage(page, endpoint, first)
        first = true
      } while (state.resetWanted)
    } catch (err) {
      api.showError(err, '加载失败')
    } finally {
      state.running = null
      page.setData({ loading: false })
    }
  })()
  return state.running
}

/** @param {GalleryPage} page @param {string} endpoint @param {boolean} reset */
async function loadPage (page, endpoint, reset) {
  const cursor = reset ? null : page.data.cursor
  const query = `?limit=${settings.pageSize}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '')
  const res = await api.request(endpoint + query)
  const fresh = res.items.map(tile)
  /** @type {Record<string, any>} */
  const patch = { cursor: res.next_cursor, end: !res.next_cursor }
  if (reset) {
    patch.items = fresh
    patch.count = fresh.length
  } else {
    // Append by path: setData sends only the new tiles, not the whole (growing) list.
    const start = page.data.items.length
    fresh.forEach((item, i) => { patch[`items[${start + i}]`] = item })
    patch.count = page.data.count + fresh.length
  }
  page.setData(patch)
  const state = stateOf(page)
  state.thumbnails = Promise.all([state.thumbnails].concat(fresh.filter((photo) => !photo.thumb)
    .map((photo) => loadThumbnail(page, photo.id, photo.urls.thumbnail))))
}

/** Resolves when the thumbnails asked for so far have arrived (or failed). @param {GalleryPage} page */
function thumbnailsLoaded (page) {
  return stateOf(page).thumbnails
}

/** What a tile needs of a photo (setData payloads are limited: keep them small). */
function tile (/** @type {Photo} */ photo) {
  // In the trash: whole days until the server destroys it.
  const daysLeft = photo.purge_at
    ? Math.max(0, Math.ceil((Date.parse(photo.purge_at) - Date.now()) / 86400000))
    : null
  return {
    id: photo.id,
    md5: photo.md5,
    filename: photo.filename,
    urls: photo.urls,
    thumb: thumbs.get(photo.id) || '',
    daysLeft,
    gone: false
  }
}

/**
 * Download `url` once per session for `cache`'s `id`; concurrent callers share the download.
 * @param {Map<string, string>} cache @param {string} id @param {string} url
 * @param {{onProgress?: (progress: number) => void}} [options]
 * @returns {Promise<string>} the temp file path
 */
function cachedDownload (cache, id, url, options) {
  const known = cache.get(id)
  if (known) return Promise.resolve(known)
  let running = downloading.get(url)
  if (!running) {
    running = api.downloadFile(url, options).then((path) => {
      cache.set(id, path)
      return path
    }).finally(() => { downloading.delete(url) })
    downloading.set(url, running)
  }
  return running
}

/** @param {GalleryPage} page @param {string} id @param {string} url */
async function loadThumbnail (page, id, url) {
  try {
    const thumb = await cachedDownload(thumbs, id, url)
    const index = page.data.items.findIndex((item) => item.id === id)
    if (index >= 0) page.setData({ [`items[${index}].thumb`]: thumb })
  } catch (err) {
    // A missing thumbnail leaves a grey tile; the photo itself can still be opened.
  }
}

/** The server's ~1440 px preview of a photo, downloaded once per session. @param {Tile} photo */
function preview (photo) {
  return cachedDownload(previews, photo.id, photo.urls.preview)
}

/** A preview downloaded already, or ''. @param {string} id */
function previewed (id) {
  return previews.get(id) || ''
}

/** Hide a tile by path (the list is not sent again). @param {GalleryPage} page @param {string} id */
function removeTile (page, id) {
  const index = page.data.items.findIndex((item) => item.id === id)
  if (index < 0 || page.data.items[index].gone) return
  page.setData({ [`items[${index}].gone`]: true, count: page.data.count - 1 })
}

/** The tiles still shown. @param {GalleryPage} page @returns {Tile[]} */
function shown (page) {
  return page.data.items.filter((item) => !item.gone)
}

/** @param {GalleryPage} page @param {any} e a tap event on a tile carrying data-id */
function tileOf (page, e) {
  const id = e.currentTarget.dataset.id
  return shown(page).find((item) => item.id === id)
}

/**
 * What the photos and trash pages share: the grid's data and the scrolling handlers. A page
 * spreads it into its definition; its `reload` (page one again) may do more first.
 * @param {string} endpoint e.g. '/api/v2/photos'
 */
function scrolling (endpoint) {
  return {
    data: {
      items: /** @type {Tile[]} */ ([]),
      cursor: /** @type {string | null} */ (null),
      loading: false,
      end: false,
      count: 0
    },
    /** @this {GalleryPage} */
    reload () {
      return loadMore(this, endpoint, true)
    },
    /** Stops the spinner once the fresh list is in. @this {GalleryPage & {reload: () => Promise<void>}} */
    onPullDownRefresh () {
      return this.reload().then(() => { wx.stopPullDownRefresh() })
    },
    /** @this {GalleryPage} */
    onReachBottom () {
      return loadMore(this, endpoint, false)
    }
  }
}

module.exports = { settings, loadMore, thumbnailsLoaded, preview, previewed, removeTile, shown, tileOf, scrolling }
