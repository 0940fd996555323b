// The trash: photos deleted from the phone or elsewhere, kept until their purge date.
// Tap one to restore it or delete it forever (each after a confirmation).

const api = require('../../lib/api.js')
const gallery = require('../../lib/gallery.js')

const ENDPOINT = '/api/v2/trash'

Page({
  ...gallery.scrolling(ENDPOINT, 3),

  onLoad () {
    getApp().globalData.trashDirty = false
    return this.reload()
  },

  onShow () {
    // Photos moved to the trash on the photos page since: read it again (pull down for the
    // rest, e.g. deletes made elsewhere).
    const app = getApp()
    if (app.globalData.trashDirty) {
      app.globalData.trashDirty = false
      return this.reload()
    }
  },

  /** A tap on a tile: restore, or delete forever. */
  actions (e) {
    const photo = gallery.tileOf(this, e)
    if (!photo) return Promise.resolve()
    return new Promise((resolve) => {
      wx.showActionSheet({
        itemList: ['恢复', '永久删除'],
        success: (res) => resolve(res.tapIndex === 0 ? this.restore(photo) : this.destroy(photo)),
        fail: () => resolve(undefined)
      })
    })
  },

  /** @param {import('../../lib/gallery.js').Tile} photo */
  async restore (photo) {
    if (!(await confirm('恢复这张照片？', '照片会回到“照片”页。', '恢复', '#07C160'))) return
    try {
      await api.request(`/api/v2/photos/${photo.id}/restore`, { method: 'POST' })
      gallery.removeTile(this, photo.id)
      getApp().globalData.photosDirty = true
      wx.showToast({ title: '已恢复', icon: 'success' })
    } catch (err) {
      api.showError(err, '恢复失败')
    }
  },

  /** @param {import('../../lib/gallery.js').Tile} photo */
  async destroy (photo) {
    if (!(await confirm('永久删除？', '照片会从服务器上删除，无法恢复。', '删除', '#FA5151'))) return
    try {
      await api.request(`${ENDPOINT}/${photo.id}`, { method: 'DELETE' })
      gallery.removeTile(this, photo.id)
      wx.showToast({ title: '已永久删除', icon: 'success' })
    } catch (err) {
      api.showError(err, '删除失败')
    }
  }
})

/**
 * @param {string} title @param {string} content @param {string} confirmText (≤ 4 characters)
 * @param {string} confirmColor @returns {Promise<boolean>}
 */
function confirm (title, content, confirmText, confirmColor) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText,
      confirmColor,
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false)
    })
  })
}
