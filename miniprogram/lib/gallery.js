// A paginated grid of the server's photos, shared by the photos and trash pages. `<image src>`
// cannot send the Authorization header, so each thumbnail is downloaded with it and shown
// from its temp file; temp files last the session, so each photo's is kept (by id) and not
// downloaded again.
//
// setData carries at most 1 MB, and thousands of tiles make a slow page. The grid is a list of
// groups, one per page loaded (`groups[2].items[5]`); it is only ever changed by path
// (`groups[3]`, `groups[0].items[3].thumb`, `...gone`), never sent whole, and a group far from
// the screen is emptied (`items: []`, its height kept) until it scrolls near again: the tiles
// themselves are kept here, in JS, not in the page's data.

const api = require('./api.js')
const { clock } = require('./clock.js')

// Photos per page; a setting so that tests can make pages small.
const settings = { pageSize: 30 }

/** Thumbnail and preview temp files of this session, by photo id. */
const thumbs = new Map()
const previews = new Map()
/** Downloads under way, by URL: a second caller shares the first one's. @type {Map<string, Promise<string>>} */
const downloading = new Map()

/**
 * @typedef {{id: string, md5: string, filename: string, urls: {original: string,
 *            thumbnail: string, preview: string}, purge_at?: string | null,
 *            media_type?: string, duration?: number | null}} Photo
 * @typedef {{id: string, md5: string, filename: string, urls: Photo['urls'], thumb: string,
 *            daysLeft: number | null, gone: boolean, video: boolean, duration: string}} Tile
 * (`duration`: a video's badge, '1:15')
 * @typedef {{key: number, items: Tile[], height: number, hidden: boolean}} Group
 * @typedef {{data: {groups: Group[], cursor: string | null, loading: boolean, end: boolean,
 *            count: number}, setData: (patch: Record<string, any>) => void}} GalleryPage
 * @typedef {{running: Promise<void> | null, resetWanted: boolean, thumbnails: Promise<any>,
 *            tiles: Tile[][], columns: number, scrollTop: number}} LoadState
 */

/** @type {WeakMap<object, LoadState>} */
const states = new WeakMap()
/** Tiles per row, by endpoint (set by `scrolling`). @type {Record<string, number>} */
const columnsOf = {}

/** @param {GalleryPage} page @returns {LoadState} */
function stateOf (page) {
  let state = states.get(page)
  if (!state) {
    state = { running: null, resetWanted: false, thumbnails: Promise.resolve(), tiles: [], columns: 4, scrollTop: 0 }
    states.set(page, state)
  }
  return state
}

/**
 * Load the first page (`reset`) or the next one of `endpoint` as a new group of tiles.
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
  const state = stateOf(page)
  state.columns = columnsOf[endpoint] || 4
  if (reset) state.tiles = []
  const index = state.tiles.length
  state.tiles.push(fresh)
  /** @type {Record<string, any>} */
  const patch = { cursor: res.next_cursor, end: !res.next_cursor }
  /** @type {Group} */
  const group = { key: index, items: fresh, height: groupHeight(state, fresh.length), hidden: false }
  if (reset) {
    patch.groups = [group]
    patch.count = fresh.length
  } else {
    // Append by path: setData sends only the new group, not the whole (growing) list.
    patch[`groups[${index}]`] = group
    patch.count = page.data.count + fresh.length
  }
  page.setData(patch)
  state.thumbnails = Promise.all([state.thumbnails].concat(fresh.filter((photo) => !photo.thumb)
    .map((photo) => loadThumbnail(page, photo.id, photo.urls.thumbnail))))
}

/** The height in px of a group of `n` square tiles, `columns` to a row across the window. */
function groupHeight (/** @type {LoadState} */ state, /** @type {number} */ n) {
  return Math.ceil(n / state.columns) * (windowSize().width / state.columns)
}

function windowSize () {
  const info = wx.getWindowInfo()
  return { width: info.windowWidth, height: info.windowHeight }
}

/**
 * Empty the groups far from the screen and fill the ones near it (two screens up, three down).
 * Called on scroll (throttled) and after loads.
 * @param {GalleryPage} page @param {number} scrollTop
 */
function virtualise (page, scrollTop) {
  const state = stateOf(page)
  state.scrollTop = scrollTop
  const screen = windowSize().height
  const from = scrollTop - 2 * screen
  const to = scrollTop + 3 * screen
  /** @type {Record<string, any>} */
  const patch = {}
  let top = 0
  page.data.groups.forEach((group, g) => {
    const near = top + group.height >= from && top <= to
    if (near && group.hidden) {
      patch[`groups[${g}].items`] = state.tiles[g]
      patch[`groups[${g}].hidden`] = false
    } else if (!near && !group.hidden) {
      patch[`groups[${g}].items`] = []
      patch[`groups[${g}].hidden`] = true
    }
    top += group.height
  })
  if (Object.keys(patch).length) page.setData(patch)
}

/** Where the tile of photo `id` is: its group and index, or null. @param {GalleryPage} page @param {string} id */
function find (page, id) {
  const tiles = stateOf(page).tiles
  for (let g = 0; g < tiles.length; g++) {
    const i = tiles[g].findIndex((item) => item.id === id)
    if (i >= 0) return { g, i, tile: tiles[g][i] }
  }
  return null
}

/** Change one tile, here and (when its group is on screen) in the page's data, by path. */
function updateTile (/** @type {GalleryPage} */ page, /** @type {string} */ id, /** @type {Partial<Tile>} */ change) {
  const at = find(page, id)
  if (!at) return
  Object.assign(at.tile, change)
  const group = page.data.groups[at.g]
  /** @type {Record<string, any>} */
  const patch = {}
  if (group && !group.hidden) {
    for (const [key, value] of Object.entries(change)) patch[`groups[${at.g}].items[${at.i}].${key}`] = value
  }
  if (change.gone) patch.count = page.data.count - 1
  if (Object.keys(patch).length) page.setData(patch)
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
    gone: false,
    video: photo.media_type === 'video',
    duration: photo.media_type === 'video' ? clock(photo.duration || 0) : ''
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
    updateTile(page, id, { thumb })
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
  const at = find(page, id)
  if (at && !at.tile.gone) updateTile(page, id, { gone: true })
}

/** The tiles still shown, on screen or not. @param {GalleryPage} page @returns {Tile[]} */
function shown (page) {
  return stateOf(page).tiles.flat().filter((item) => !item.gone)
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
 * @param {number} columns tiles per row (the page's WXSS says the same)
 */
function scrolling (endpoint, columns) {
  columnsOf[endpoint] = columns
  return {
    data: {
      groups: /** @type {Group[]} */ ([]),
      cursor: /** @type {string | null} */ (null),
      loading: false,
      end: false,
      count: 0
    },
    /** @this {GalleryPage} */
    reload () {
      return loadMore(this, endpoint, true)
    },
    /** @this {GalleryPage & {scrolled?: (top: number) => void}} */
    onPageScroll (/** @type {{scrollTop: number}} */ e) {
      if (!this.scrolled) this.scrolled = api.throttle((top) => virtualise(this, top), 100)
      this.scrolled(e.scrollTop)
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

module.exports = { settings, loadMore, thumbnailsLoaded, preview, previewed, removeTile, shown, tileOf, virtualise, scrolling }
