// Backed-up photos and videos, from the server: newest first, 30 at a time. Tap a photo to look
// at it full size (swipe to the other photos), a video to play it (lib/playback.js: a signed URL,
// since <video> sends no header); long press to save it to the phone's album, move it to the
// trash, share it or put it into an album (lib/albums.js).

const api = require('../../lib/api.js')
const gallery = require('../../lib/gallery.js')
const albums = require('../../lib/albums.js')
const playback = require('../../lib/playback.js')

const ENDPOINT = '/api/v2/photos'
const ALBUM_SCOPE = 'scope.writePhotosAlbum'

const grid = gallery.scrolling(ENDPOINT, 4)

Page({
  ...grid,
  data: Object.assign({}, grid.data, {
    // The video being played: {id, src}, or null.
    playing: /** @type {{id: string, src: string} | null} */ (null)
  }),

  onLoad () {
    return this.reload()
  },

  onShow () {
    // New uploads or restores elsewhere: reload. (onShow also follows previewImage: no reload.)
    const app = getApp()
    if (app.globalData.photosDirty) return this.reload()
  },

  reload () {
    getApp().globalData.photosDirty = false
    return gallery.loadMore(this, ENDPOINT, true)
  },

  /**
   * Full size, upright: the server's ~1440 px preview, downloaded with the token. Swiping shows
   * the other loaded photos: their previews once downloaded, their thumbnails until then (the
   * neighbours' previews are fetched next).
   */
  async open (e) {
    const photo = gallery.tileOf(this, e)
    if (!photo) return
    if (photo.video) return this.play(photo)
    wx.showLoading({ title: '加载中' })
    try {
      const path = await gallery.preview(photo)
      wx.hideLoading()
      // Videos are played by a tap of their own, not swiped to as a still.
      const tiles = gallery.shown(this).filter((tile) => !tile.video)
      const at = tiles.findIndex((tile) => tile.id === photo.id)
      const urls = []
      for (const tile of tiles) {
        const shown = tile.id === photo.id ? path : (gallery.previewed(tile.id) || tile.thumb)
        if (shown) urls.push(shown)
      }
      wx.previewImage({ current: path, urls })
      // The neighbours in full size, for the next time (at most 4 downloads run at once).
      for (const tile of tiles.slice(Math.max(0, at - 2), at + 3)) {
        if (tile.id !== photo.id) gallery.preview(tile).catch(() => {})
      }
    } catch (err) {
      wx.hideLoading()
      api.showError(err, '无法打开照片')
    }
  },

  /**
   * Play a video in the page's <video>, from a signed URL (streamed, seekable). While the server
   * makes a copy the phone can play, the loading toast says so.
   * @param {import('../../lib/gallery.js').Tile} video
   */
  async play (video) {
    wx.showLoading({ title: '加载中' })
    try {
      const src = await playback.playbackUrl(video.id, () => wx.showLoading({ title: '视频转码中' }))
      wx.hideLoading()
      this.setData({ playing: { id: video.id, src } })
    } catch (err) {
      wx.hideLoading()
      api.showError(err, '无法播放视频')
    }
  },

  closeVideo () {
    this.setData({ playing: null })
  },

  /** The <video> could not play (a format the phone lacks, the link expired mid-way). */
  videoError (/** @type {any} */ e) {
    this.setData({ playing: null })
    api.showError((e && e.detail && e.detail.errMsg) || '视频无法播放', '无法播放视频')
  },

  actions (e) {
    const photo = gallery.tileOf(this, e)
    if (!photo) return Promise.resolve()
    return new Promise((resolve) => {
      wx.showActionSheet({
        itemList: ['保存到相册', '删除'].concat(albums.PHOTO_ACTIONS),
        success: (res) => resolve(res.tapIndex === 0 ? this.save(photo)
          : res.tapIndex === 1 ? this.remove(photo) : albums.photoAction(res.tapIndex - 2, photo)),
        fail: () => resolve(undefined)
      })
    })
  },

  /**
   * The original, into the album: permission first (no download for nothing), then the
   * download with its progress, then the album.
   * @param {import('../../lib/gallery.js').Tile} photo
   */
  async save (photo) {
    try {
      if (!(await albumAllowed())) return
      wx.showLoading({ title: '下载中', mask: true })
      const onProgress = api.throttle((/** @type {number} */ progress) => {
        if (progress < 100) wx.showLoading({ title: `下载中 ${progress}%`, mask: true })
      }, 200)
      let path
      try {
        path = await api.downloadFile(photo.urls.original, { onProgress })
      } finally {
        onProgress.cancel() // no late "下载中" over what comes next
      }
      wx.hideLoading()
      await new Promise((resolve, reject) => {
        const save = photo.video ? wx.saveVideoToPhotosAlbum : wx.saveImageToPhotosAlbum
        save({ filePath: path, success: resolve, fail: reject })
      })
      wx.showToast({ title: '已保存到相册', icon: 'success' })
    } catch (err) {
      wx.hideLoading()
      api.showError(err, '保存失败')
    }
  },

  /** @param {import('../../lib/gallery.js').Tile} photo */
  async remove (photo) {
    const answer = await new Promise((resolve) => {
      wx.showModal({
        title: '删除这张照片？',
        content: '照片会移到回收站，在回收站里可以恢复。',
        confirmText: '删除',
        confirmColor: '#FA5151',
        success: resolve,
        fail: () => resolve({ confirm: false })
      })
    })
    if (!answer.confirm) return
    try {
      await api.request(`${ENDPOINT}/${photo.id}`, { method: 'DELETE' })
      gallery.removeTile(this, photo.id)
      getApp().globalData.trashDirty = true
      wx.showToast({ title: '已移到回收站', icon: 'success' })
    } catch (err) {
      api.showError(err, '删除失败')
    }
  }
})

/** The writePhotosAlbum permission: ask once; if refused before, offer the settings page. */
async function albumAllowed () {
  /** @type {WechatMiniprogram.GetSettingSuccessCallbackResult} */
  const setting = await new Promise((resolve, reject) => {
    wx.getSetting({ success: resolve, fail: reject })
  })
  const allowed = setting.authSetting[ALBUM_SCOPE]
  if (allowed) return true
  if (allowed === undefined) {
    return new Promise((resolve) => {
      wx.authorize({ scope: ALBUM_SCOPE, success: () => resolve(true), fail: () => resolve(false) })
    })
  }
  /** @type {WechatMiniprogram.ShowModalSuccessCallbackResult} */
  const answer = await new Promise((resolve) => {
    wx.showModal({
      title: '需要相册权限',
      content: '保存照片需要“添加到相册”权限，请在设置中打开。',
      confirmText: '去设置',
      success: resolve,
      fail: () => resolve({ confirm: false, cancel: true, content: '', errMsg: '' })
    })
  })
  if (!answer.confirm) return false
  /** @type {WechatMiniprogram.OpenSettingSuccessCallbackResult} */
  const opened = await new Promise((resolve, reject) => {
    wx.openSetting({ success: resolve, fail: reject })
  })
  return Boolean(opened.authSetting[ALBUM_SCOPE])
}
