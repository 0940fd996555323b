// One album: its photos in a grid, in the album's order. Tap one to look at it full size (swipe
// to the others); long press to share it with WeChat's image menu, or take it out of the album.
// The API sends every item at once; the grid shows them a page at a time (one group per page,
// appended by path, as the photos page does), each thumbnail downloaded with the token, and a
// group far from the screen is emptied (its height kept) until it scrolls near again.

const albums = require('../../lib/albums.js')
const gallery = require('../../lib/gallery.js')
const api = require('../../lib/api.js')

/**
 * @typedef {{id: string, owner: string, urls: {original: string, thumbnail: string,
 *            preview: string}, thumb: string, gone: boolean}} Tile
 */

/** Each album page's tiles, kept in JS (not in the page's data), by page. @type {WeakMap<object, Tile[]>} */
const tilesOf = new WeakMap()
/** Each album page's throttled scroll handler. @type {WeakMap<object, (top: number) => void>} */
const scrolledOf = new WeakMap()
const COLUMNS = 4 // tiles per row; album.wxss says the same
/** Thumbnails of this session, by URL (an album's URLs differ from the library's). @type {Map<string, string>} */
const thumbs = new Map()

Page({
  data: {
    id: '',
    name: '',
    owner: '',
    role: '',
    count: 0,
    groups: /** @type {{key: number, items: Tile[], height: number, hidden: boolean}[]} */ ([]),
    end: false,
    loading: false,
    missing: false
  },

  /** @param {{id?: string}} query */
  onLoad (query) {
    this.setData({ id: decodeURIComponent(query.id || '') })
    return this.reload()
  },

  onPullDownRefresh () {
    return this.reload().then(() => { wx.stopPullDownRefresh() })
  },

  async reload () {
    this.setData({ loading: true })
    try {
      const album = await albums.get(this.data.id)
      /** @type {Tile[]} */
      const tiles = album.items.map((/** @type {any} */ item) => ({
        id: item.id, owner: item.owner, urls: item.urls, thumb: thumbs.get(item.urls.thumbnail) || '', gone: false
      }))
      tilesOf.set(this, tiles)
      wx.setNavigationBarTitle({ title: album.name })
      this.setData({ name: album.name, owner: album.owner, role: album.role, count: tiles.length, groups: [], end: false })
      this.more()
    } catch (err) {
      if (err instanceof api.ApiError && err.statusCode === 404) this.setData({ missing: true })
      albums.report(err, '无法打开相簿', { album: true })
    } finally {
      this.setData({ loading: false })
    }
  },

  onReachBottom () {
    this.more()
  },

  /** Show the next page of tiles as a new group (by path), then fetch their thumbnails. */
  more () {
    const tiles = tilesOf.get(this) || []
    const index = this.data.groups.length
    const size = gallery.settings.pageSize
    const fresh = tiles.slice(index * size, (index + 1) * size)
    if (!fresh.length) return Promise.resolve()
    const height = Math.ceil(fresh.length / COLUMNS) * (wx.getWindowInfo().windowWidth / COLUMNS)
    this.setData({
      [`groups[${index}]`]: { key: index, items: fresh, height, hidden: false },
      end: (index + 1) * size >= tiles.length
    })
    return Promise.all(fresh.filter((tile) => !tile.thumb).map((tile) => this.loadThumb(tile)))
  },

  /** @param {{scrollTop: number}} e */
  onPageScroll (e) {
    let scrolled = scrolledOf.get(this)
    if (!scrolled) {
      scrolled = api.throttle((/** @type {number} */ top) => this.virtualise(top), 100)
      scrolledOf.set(this, scrolled)
    }
    scrolled(e.scrollTop)
  },

  /** Empty the groups far from the screen, fill the ones near it (two screens up, three down). @param {number} scrollTop */
  virtualise (scrollTop) {
    const tiles = tilesOf.get(this) || []
    const size = gallery.settings.pageSize
    const screen = wx.getWindowInfo().windowHeight
    /** @type {Record<string, any>} */
    const patch = {}
    let top = 0
    this.data.groups.forEach((group, g) => {
      const near = top + group.height >= scrollTop - 2 * screen && top <= scrollTop + 3 * screen
      if (near === !group.hidden) {
        top += group.height
        return
      }
      patch[`groups[${g}].items`] = near ? tiles.slice(g * size, (g + 1) * size) : []
      patch[`groups[${g}].hidden`] = !near
      top += group.height
    })
    if (Object.keys(patch).length) this.setData(patch)
  },

  /** @param {Tile} tile */
  async loadThumb (tile) {
    try {
      const path = await api.downloadFile(tile.urls.thumbnail)
      thumbs.set(tile.urls.thumbnail, path)
      this.update(tile.id, { thumb: path })
    } catch (err) {
      // A grey tile; the photo still opens.
    }
  },

  /** Change a tile here and, by path, on the page. @param {string} id @param {Partial<Tile>} change */
  update (id, change) {
    const tiles = tilesOf.get(this) || []
    const at = tiles.findIndex((tile) => tile.id === id)
    if (at < 0) return
    Object.assign(tiles[at], change)
    const size = gallery.settings.pageSize
    const g = Math.floor(at / size)
    // Not shown yet, or emptied far from the screen: it is sent when its group is.
    if (g >= this.data.groups.length || this.data.groups[g].hidden) return
    /** @type {Record<string, any>} */
    const patch = {}
    for (const [key, value] of Object.entries(change)) patch[`groups[${g}].items[${at % size}].${key}`] = value
    this.setData(patch)
  },

  /** @param {any} e a tap on a tile carrying data-id @returns {Tile | undefined} */
  tileOf (e) {
    const id = e.currentTarget.dataset.id
    return (tilesOf.get(this) || []).find((tile) => tile.id === id && !tile.gone)
  },

  /** Full size: the preview, downloaded with the token; swipe to the others loaded so far. */
  async view (e) {
    const photo = this.tileOf(e)
    if (!photo) return
    wx.showLoading({ title: '加载中' })
    try {
      const path = await gallery.preview(/** @type {any} */ (photo))
      wx.hideLoading()
      const urls = []
      for (const tile of tilesOf.get(this) || []) {
        if (tile.gone) continue
        const shown = tile.id === photo.id ? path : (gallery.previewed(tile.id) || tile.thumb)
        if (shown) urls.push(shown)
      }
      wx.previewImage({ current: path, urls })
    } catch (err) {
      wx.hideLoading()
      albums.report(err, '无法打开照片')
    }
  },

  /** Long press: share, or (owner, contributor) take it out of the album. */
  async actions (e) {
    const photo = this.tileOf(e)
    if (!photo) return
    const items = ['分享给朋友'].concat(this.data.role === 'viewer' ? [] : ['移出相簿'])
    const tapped = await albums.sheet(items)
    if (tapped === 0) await albums.share(photo)
    if (tapped === 1) await this.takeOut(photo)
  },

  /** @param {Tile} photo */
  async takeOut (photo) {
    try {
      const res = await albums.removePhotos(this.data.id, [photo.id])
      if (!res.done.length) {
        wx.showModal({ title: '未能移出', content: '你只能移出自己加入的照片。', showCancel: false })
        return
      }
      this.update(photo.id, { gone: true })
      this.setData({ count: this.data.count - 1 })
      wx.showToast({ title: '已移出相簿', icon: 'success' })
    } catch (err) {
      albums.report(err, '未能移出', { album: true })
    }
  }
})
