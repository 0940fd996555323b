// A paginated grid of the server's photos, shared by the photos and trash pages. `<image src>`
// cannot send the Authorization header, so each thumbnail is downloaded with it and shown
// from its temp file.

const api = require('./api.js')

// Photos per page; a setting so that tests can make pages small.
const settings = { pageSize: 30 }

/**
 * @typedef {{id: string, md5: string, filename: string, urls: {original: string,
 *            thumbnail: string, preview: string}, purge_at?: string | null}} Photo
 * @typedef {{id: string, md5: string, filename: string, urls: Photo['urls'], thumb: string,
 *            daysLeft: number | null}} Tile
 * @typedef {{data: {items: Tile[], cursor: string | null, loading: boolean, end: boolean},
 *            setData: (patch: Record<string, any>) => void}} GalleryPage
 */

/**
 * Load the first page (`reset`) or the next one of `endpoint` into `page.data.items`.
 * @param {GalleryPage} page
 * @param {string} endpoint e.g. '/api/v2/photos'
 * @param {boolean} reset
 */
async function loadMore (page, endpoint, reset) {
  if (page.data.loading || (!reset && page.data.end)) return
  page.setData({ loading: true })
  try {
    const cursor = reset ? null : page.data.cursor
    const query = `?limit=${settings.pageSize}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '')
    const res = await api.request(endpoint + query)
    const fresh = res.items.map(tile)
    /** @type {Record<string, any>} */
    const patch = { cursor: res.next_cursor, end: !res.next_cursor }
    if (reset) {
      patch.items = fresh
    } else {
      // Append by path: setData sends only the new tiles, not the whole (growing) list.
      const start = page.data.items.length
      fresh.forEach((item, i) => { patch[`items[${start + i}]`] = item })
    }
    page.setData(patch)
    await Promise.all(fresh.map((photo) => loadThumbnail(page, photo.id, photo.urls.thumbnail)))
  } catch (err) {
    api.showError(err, '加载失败')
  } finally {
    page.setData({ loading: false })
  }
}

/** What a tile needs of a photo (setData payloads are limited: keep them small). */
function tile (/** @type {Photo} */ photo) {
  // In the trash: whole days until the server destroys it.
  const daysLeft = photo.purge_at
    ? Math.max(0, Math.ceil((Date.parse(photo.purge_at) - Date.now()) / 86400000))
    : null
  return { id: photo.id, md5: photo.md5, filename: photo.filename, urls: photo.urls, thumb: '', daysLeft }
}

/** @param {GalleryPage} page @param {string} id @param {string} url */
async function loadThumbnail (page, id, url) {
  try {
    const thumb = await api.downloadFile(url)
    const index = page.data.items.findIndex((item) => item.id === id)
    if (index >= 0) page.setData({ [`items[${index}].thumb`]: thumb })
  } catch (err) {
    // A missing thumbnail leaves a grey tile; the photo itself can still be opened.
  }
}

/** @param {GalleryPage} page @param {string} id */
function removeTile (page, id) {
  page.setData({ items: page.data.items.filter((item) => item.id !== id) })
}

/** @param {GalleryPage} page @param {any} e a tap event on a tile carrying data-id */
function tileOf (page, e) {
  const id = e.currentTarget.dataset.id
  return page.data.items.find((item) => item.id === id)
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
      end: false
    },
    /** @this {GalleryPage} */
    reload () {
      return loadMore(this, endpoint, true)
    },
    /** @this {GalleryPage & {reload: () => Promise<void>}} */
    onPullDownRefresh () {
      return this.reload().then(() => { wx.stopPullDownRefresh() })
    },
    /** @this {GalleryPage} */
    onReachBottom () {
      return loadMore(this, endpoint, false)
    }
  }
}

module.exports = { settings, loadMore, removeTile, tileOf, scrolling }
