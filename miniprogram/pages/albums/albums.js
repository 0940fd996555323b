// Albums: the person's own and those shared with them ("与我共享"), each with its cover,
// name and count. Tap one to open it; long press an own album to rename or delete it; the
// button at the top creates one. The API lists every album at once (no pages).

const albums = require('../../lib/albums.js')

/**
 * @typedef {{id: string, name: string, count: number, owner: string, role: string,
 *            thumb: string}} Row
 */

/** Pages shown once already. @type {WeakSet<object>} */
const shown = new WeakSet()

/** What a row needs of an album (setData payloads are limited: keep them small). */
function row (/** @type {import('../../lib/albums.js').Album} */ album) {
  return { id: album.id, name: album.name, count: album.count, owner: album.owner, role: album.role, thumb: '' }
}

Page({
  data: {
    mine: /** @type {Row[]} */ ([]),
    shared: /** @type {Row[]} */ ([]),
    loading: false,
    loaded: false,
    username: ''
  },

  onLoad () {
    return this.reload()
  },

  onShow () {
    // Back from an album, another tab or the web app: counts, names and shares may have
    // changed (one small request; covers are not downloaded again). The first show follows
    // onLoad, which has loaded already.
    if (shown.has(this)) return this.reload()
    shown.add(this)
  },

  onPullDownRefresh () {
    return this.reload().then(() => { wx.stopPullDownRefresh() })
  },

  async reload () {
    this.setData({ loading: true })
    try {
      const { mine, shared } = await albums.list()
      this.setData({ mine: mine.map(row), shared: shared.map(row), loaded: true })
      await Promise.all([
        this.showUsername(),
        ...mine.map((album, i) => this.loadCover('mine', i, album)),
        ...shared.map((album, i) => this.loadCover('shared', i, album))
      ])
    } catch (err) {
      albums.report(err, '加载失败')
    } finally {
      this.setData({ loading: false })
    }
  },

  async showUsername () {
    try {
      this.setData({ username: await albums.username() })
    } catch (err) {
      // Only a hint: the albums are there without it.
    }
  },

  /** A cover, downloaded with the token and set by path. @param {'mine' | 'shared'} list @param {number} i @param {import('../../lib/albums.js').Album} album */
  async loadCover (list, i, album) {
    if (!album.cover_url) return
    try {
      const thumb = await albums.cover(album.cover_url)
      const shown = this.data[list][i]
      if (shown && shown.id === album.id) this.setData({ [`${list}[${i}].thumb`]: thumb })
    } catch (err) {
      // No cover: a grey square; the album still opens.
    }
  },

  /** @param {any} e a tap on a row carrying data-id */
  open (e) {
    const id = e.currentTarget.dataset.id
    return new Promise((resolve) => {
      wx.navigateTo({
        url: `/pages/album/album?id=${encodeURIComponent(id)}`,
        success: () => resolve(true),
        fail: (err) => { albums.report(err, '无法打开相簿'); resolve(false) }
      })
    })
  },

  async create () {
    const name = await albums.askName('新建相簿')
    if (!name) return
    try {
      await albums.create(name)
      wx.showToast({ title: '已创建', icon: 'success' })
      await this.reload()
    } catch (err) {
      albums.report(err, '未能创建相簿')
    }
  },

  /** Long press on an own album: rename or delete. @param {any} e */
  async actions (e) {
    const album = this.data.mine.find((item) => item.id === e.currentTarget.dataset.id)
    if (!album) return
    const tapped = await albums.sheet(['重命名', '删除相簿'])
    if (tapped === 0) await this.rename(album)
    if (tapped === 1) await this.remove(album)
  },

  /** @param {Row} album */
  async rename (album) {
    const name = await albums.askName('重命名相簿', album.name)
    if (!name || name === album.name) return
    try {
      await albums.rename(album.id, name)
      await this.reload()
    } catch (err) {
      albums.report(err, '未能重命名', { album: true })
    }
  },

  /** @param {Row} album */
  async remove (album) {
    const sure = await albums.confirm(`删除“${album.name}”？`, '只删除相簿，其中的照片仍保留在“照片”里。', '删除')
    if (!sure) return
    try {
      await albums.remove(album.id)
      wx.showToast({ title: '已删除', icon: 'success' })
    } catch (err) {
      albums.report(err, '未能删除相簿', { album: true })
    }
    await this.reload()
  }
})
