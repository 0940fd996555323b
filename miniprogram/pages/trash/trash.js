// The trash: photos deleted from the phone or elsewhere, kept until their purge date.
// Tap one to restore it.

const api = require('../../lib/api.js')
const gallery = require('../../lib/gallery.js')

const ENDPOINT = '/api/v2/trash'

Page({
  ...gallery.scrolling(ENDPOINT),

  onShow () {
    // Deleting happens on another page: the trash is read again whenever it is shown.
    return this.reload()
  },

  async restore (e) {
    const photo = gallery.tileOf(this, e)
    if (!photo) return
    try {
      await api.request(`/api/v2/photos/${photo.id}/restore`, { method: 'POST' })
      gallery.removeTile(this, photo.id)
      getApp().globalData.photosDirty = true
      wx.showToast({ title: '已恢复', icon: 'success' })
    } catch (err) {
      api.showError(err, '恢复失败')
    }
  }
})
