// Backup: the original WeUI uploader page, made real. Choose photos, look at them, remove the
// ones you do not want, back up the rest: the device hashes each file, asks the server which it
// already has, and uploads only the others (at most 3 at a time) through the original API.

const api = require('../../lib/api.js')
const queue = require('../../lib/queue.js')

const MAX_CHOOSE = 9

Page({
  data: {
    items: /** @type {import('../../lib/queue.js').QueueItem[]} */ ([]),
    busy: false,
    readyCount: 0,
    finishedCount: 0
  },

  onShow () {
    if (this.data.busy) return
    const items = queue.load()
    this.show(items)
    // Cut short in the background or by the network: unfinished uploads start again.
    if (items.some(queue.unfinished)) this.backup(true)
  },

  /** Put `items` on screen (and in storage when `persist`). */
  show (items, persist) {
    this.setData({
      items,
      readyCount: items.filter((item) => item.status === 'ready' || item.status === 'failed').length,
      finishedCount: items.filter((item) => item.status === 'done' || item.status === 'skipped').length
    })
    if (persist) queue.save(items)
  },

  /** Change one item by id (indexes move when items are removed). */
  update (id, patch, persist) {
    const items = this.data.items.map((item) => {
      if (item.id !== id) return item
      const status = patch.status || item.status
      return Object.assign({}, item, patch, { label: queue.LABELS[status] })
    })
    this.show(items, persist !== false)
  },

  /** Progress events come often: set the one number, not the whole list. */
  progress (id, progress) {
    const index = this.data.items.findIndex((item) => item.id === id)
    if (index >= 0) this.setData({ [`items[${index}].progress`]: progress })
  },

  choose () {
    const room = MAX_CHOOSE - this.data.items.filter((item) => item.status === 'ready').length
    wx.chooseMedia({
      count: Math.max(1, Math.min(MAX_CHOOSE, room)),
      mediaType: ['image'],
      sizeType: ['original'],
      sourceType: ['album', 'camera'],
      success: (res) => {
        const known = new Set(this.data.items.map((item) => item.path))
        const added = res.tempFiles.filter((file) => !known.has(file.tempFilePath)).map(queue.newItem)
        this.show(this.data.items.concat(added), true)
      }
    })
  },

  preview (e) {
    const paths = this.data.items.map((item) => item.path)
    wx.previewImage({ current: e.currentTarget.dataset.path, urls: paths })
  },

  remove (e) {
    const id = e.currentTarget.dataset.id
    this.show(this.data.items.filter((item) => item.id !== id || queue.ACTIVE.includes(item.status)), true)
  },

  clearFinished () {
    this.show(this.data.items.filter((item) => item.status !== 'done' && item.status !== 'skipped'), true)
  },

  /** The button: back up every chosen (or failed) photo. */
  start () {
    return this.backup(false)
  },

  /**
   * Back up every chosen or failed photo, or with `resume` only the unfinished ones.
   * Resolves when all have finished.
   * @param {boolean} [resume]
   */
  async backup (resume) {
    if (this.data.busy) return
    const start = this.data.items.map((item) =>
      (resume ? queue.unfinished(item) : item.status === 'ready' || item.status === 'failed')
        ? Object.assign({}, item,
          { status: 'waiting', label: queue.LABELS.waiting, message: '', interrupted: false })
        : item)
    const run = new Set(start.filter((item) => item.status === 'waiting').map((item) => item.id))
    this.setData({ busy: true })
    this.show(start, true)
    try {
      await this.hashAll()
      await this.skipPresent()
      await Promise.all(this.data.items.filter((item) => item.status === 'waiting')
        .map((item) => this.upload(item)))
    } catch (err) {
      this.stopAll(err)
    } finally {
      this.setData({ busy: false })
      this.report(run)
    }
  },

  async hashAll () {
    for (const item of this.data.items.filter((i) => i.status === 'waiting')) {
      this.update(item.id, { status: 'hashing' }, false)
      try {
        const md5 = await queue.md5Of(item.path)
        this.update(item.id, { status: 'waiting', md5 })
      } catch (err) {
        // The temp file is gone (the app was closed since it was chosen).
        this.update(item.id, { status: 'failed', message: '文件已失效，请重新选择' })
      }
    }
  },

  /** Ask the server which photos it already has; those are not sent again. */
  async skipPresent () {
    const waiting = this.data.items.filter((item) => item.status === 'waiting')
    if (!waiting.length) return
    let present
    try {
      const res = await api.request('/api/v2/photos/check', {
        method: 'POST', data: { hashes: waiting.map((item) => item.md5) }
      })
      present = new Set(res.present)
    } catch (err) {
      // A server without API v2 cannot tell: send everything, it keeps nothing twice.
      if (err instanceof api.ApiError && err.statusCode === 404) return
      throw err
    }
    for (const item of waiting) {
      if (present.has(item.md5)) this.update(item.id, { status: 'skipped', progress: 100 })
    }
  },

  /** @param {import('../../lib/queue.js').QueueItem} item */
  async upload (item) {
    try {
      this.update(item.id, { status: 'uploading', progress: 0 })
      const res = await api.uploadFile({
        url: api.imageUrl(),
        filePath: item.path,
        name: 'photo',
        onProgress: (progress) => this.progress(item.id, progress)
      })
      const sent = res.data && res.data[0]
      if (!sent || sent.md5 !== item.md5) {
        throw new Error(`服务器收到的文件校验值不一致（${sent ? sent.md5 : '无'}），请重试`)
      }
      this.update(item.id, { status: 'done', progress: 100 })
      getApp().globalData.photosDirty = true
    } catch (err) {
      this.fail(item, err)
    }
  },

  /** A failure that stops the whole run (no network, login failed). */
  stopAll (err) {
    for (const item of this.data.items) {
      if (queue.ACTIVE.includes(item.status)) this.fail(item, err)
    }
  },

  /** @param {import('../../lib/queue.js').QueueItem} item @param {unknown} err */
  fail (item, err) {
    // No answer (offline, or the call was interrupted in the background): retried in onShow.
    const interrupted = err instanceof api.ApiError && err.statusCode === 0
    this.update(item.id, { status: 'failed', progress: 0, message: api.describe(err), interrupted })
  },

  /** Tell how the run of the items with these ids went. @param {Set<string>} ids */
  report (ids) {
    const items = this.data.items.filter((item) => ids.has(item.id))
    const failed = items.filter((item) => item.status === 'failed')
    const done = items.filter((item) => item.status === 'done').length
    const skipped = items.filter((item) => item.status === 'skipped').length
    if (failed.length) {
      wx.showModal({
        title: `${failed.length} 张未能备份`,
        content: failed[0].message,
        showCancel: false
      })
    } else if (done || skipped) {
      wx.showToast({ title: `已备份 ${done} 张，跳过 ${skipped} 张`, icon: 'none' })
    }
  }
})
