// Backup: the original WeUI uploader page, made real. Choose photos and videos, look at them,
// remove the ones you do not want, back up the rest: the device hashes each file, asks the
// server which it already has, and uploads only the others (at most 3 at a time): photos in one
// request through the original API, videos and large files in resumable chunks (lib/chunked.js).
// The server tells what a file is from its bytes; nothing here sends a type.
// A run cut short (the app went to the background, the network went away) resumes by itself
// when the app is back or the network returns, at most MAX_ATTEMPTS times per photo.

const api = require('../../lib/api.js')
const chunked = require('../../lib/chunked.js')
const queue = require('../../lib/queue.js')
const resume = require('../../lib/resume.js')

// chooseMedia allows 20 from base library 2.25.0 (project.config.json asks for 3.0.0).
const MAX_CHOOSE = 20
// Uploads of one photo, counting the first, before it stays failed until the person retries.
const MAX_ATTEMPTS = 3
// Progress events come many per second: the tile's number changes at most this often.
const PROGRESS_MS = 200
// Camera capture: WeChat's maximum.
const MAX_DURATION = 60

Page({
  data: {
    items: /** @type {import('../../lib/queue.js').QueueItem[]} */ ([]),
    busy: false,
    readyCount: 0,
    // What the button backs up: '3 张照片', '1 个视频', '3 张照片和 1 个视频'.
    readyText: '',
    finishedCount: 0,
    // What happened to the last run resumed by itself (no modal for those).
    notice: ''
  },

  onLoad () {
    // App.onShow and the network coming back: look for unfinished uploads.
    this.stopListening = resume.onResume(() => { this.resumeIfNeeded() })
  },

  onUnload () {
    if (this.stopListening) this.stopListening()
  },

  onShow () {
    if (this.data.busy) return
    // Marked running in storage but no run here: the app was closed or the page built again
    // mid-run. Those count as interrupted (retried by themselves, within MAX_ATTEMPTS).
    const items = queue.load().map((item) => queue.ACTIVE.includes(item.status)
      ? Object.assign({}, item, {
        status: 'failed', label: queue.LABELS.failed, progress: 0, interrupted: true,
        kind: 'interrupted', message: api.NETWORK_MESSAGES.interrupted
      })
      : item)
    this.show(items)
    return this.resumeIfNeeded()
  },

  /** Cut short in the background or by the network: unfinished uploads start again. */
  resumeIfNeeded () {
    if (this.data.busy || !resume.canRun()) return
    if (this.data.items.some(willRetry)) return this.backup(true)
  },

  /** Put `items` on screen (and in storage when `persist`). */
  show (items, persist) {
    const ready = items.filter((item) => item.status === 'ready' || item.status === 'failed')
    this.setData({
      items,
      readyCount: ready.length,
      readyText: countOf(ready, '张照片'),
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
    if (index >= 0 && this.data.items[index].status === 'uploading') {
      this.setData({ [`items[${index}].progress`]: progress })
    }
  },

  choose () {
    const room = MAX_CHOOSE - this.data.items.filter((item) => item.status === 'ready').length
    if (room <= 0) {
      wx.showToast({ title: `一次最多备份 ${MAX_CHOOSE} 个`, icon: 'none' })
      return
    }
    wx.chooseMedia({
      count: Math.min(MAX_CHOOSE, room),
      mediaType: ['image', 'video'],
      sizeType: ['original'],
      sourceType: ['album', 'camera'],
      maxDuration: MAX_DURATION,
      success: (res) => {
        const known = new Set(this.data.items.map((item) => item.path))
        const added = res.tempFiles.filter((file) => !known.has(file.tempFilePath)).map(queue.newItem)
        this.show(this.data.items.concat(added), true)
      },
      // Cancelled: nothing to say. Refused (privacy prompt, album or camera permission): say so.
      fail: (res) => {
        if (!/cancel/.test(res.errMsg)) api.showError(res, '无法选择照片')
      }
    })
  },

  /** Look at the chosen photos and videos, full screen, swiping from the one tapped. */
  preview (e) {
    const items = this.data.items
    wx.previewMedia({
      current: Math.max(0, items.findIndex((item) => item.path === e.currentTarget.dataset.path)),
      sources: items.map((item) => item.fileType === 'video'
        ? { url: item.path, type: 'video', poster: item.thumb }
        : { url: item.path, type: 'image' }),
      fail: () => {}
    })
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
   * Back up every chosen or failed photo, or with `resumed` only the unfinished ones.
   * Resolves when all have finished.
   * @param {boolean} [resumed]
   */
  async backup (resumed) {
    if (this.data.busy) return
    const start = this.data.items.map((item) =>
      (resumed ? willRetry(item) : item.status === 'ready' || item.status === 'failed')
        ? Object.assign({}, item, {
          status: 'waiting',
          label: queue.LABELS.waiting,
          message: '',
          interrupted: false,
          kind: '',
          // Each run is an attempt (wherever it stops: hashing, check, upload); the person's
          // tap starts the count again.
          attempts: (resumed ? (item.attempts || 0) : 0) + 1
        })
        : item)
    const run = new Set(start.filter((item) => item.status === 'waiting').map((item) => item.id))
    this.setData({ busy: true, notice: '' })
    // A long backup: the screen stays on (a locked phone puts the app in the background).
    wx.setKeepScreenOn({ keepScreenOn: true, fail: () => {} })
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
      wx.setKeepScreenOn({ keepScreenOn: false, fail: () => {} })
      this.report(run, Boolean(resumed))
      // An upload interrupted in the background fails only after the app is back, while this
      // run was busy and onShow did nothing: look again now.
      if (this.data.items.some((item) => run.has(item.id) && item.kind === 'interrupted' && willRetry(item))) {
        this.resumeIfNeeded()
      }
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
        this.update(item.id, { status: 'failed', message: api.NETWORK_MESSAGES.file })
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
    const file = { filePath: item.path, size: item.size, md5: item.md5, fileType: item.fileType }
    // A chunked upload that moved forward in this run does not use up an attempt: a long video
    // may be cut short by the background many times and still get there.
    let moved = false
    try {
      this.update(item.id, { status: 'uploading', progress: chunked.progressOf(file) })
      const onProgress = api.throttle((/** @type {number} */ progress) => this.progress(item.id, progress), PROGRESS_MS)
      try {
        if (chunked.wanted(file)) {
          await chunked.upload(file, (progress, advanced) => {
            moved = advanced
            onProgress(progress)
          })
        } else {
          await this.uploadWhole(item, onProgress)
        }
      } finally {
        onProgress.cancel()
      }
      this.update(item.id, { status: 'done', progress: 100 })
      getApp().globalData.photosDirty = true
    } catch (err) {
      this.fail(item, err, moved)
    }
  },

  /**
   * A photo in one multipart request through the original API; the server's MD5 must be ours.
   * @param {import('../../lib/queue.js').QueueItem} item @param {(progress: number) => void} onProgress
   */
  async uploadWhole (item, onProgress) {
    let res
    try {
      res = await api.uploadFile({ url: api.imageUrl(), filePath: item.path, name: 'photo', onProgress })
    } catch (err) {
      throw await quotaOr(err, item.size)
    }
    const sent = res.data && res.data[0]
    if (!sent || sent.md5 !== item.md5) {
      throw new Error(`服务器收到的文件校验值不一致（${sent ? sent.md5 : '无'}），请重试`)
    }
  },

  /** A failure that stops the whole run (no network, login failed). */
  stopAll (err) {
    for (const item of this.data.items) {
      if (queue.ACTIVE.includes(item.status)) this.fail(item, err)
    }
  },

  /**
   * @param {import('../../lib/queue.js').QueueItem} item @param {unknown} err
   * @param {boolean} [moved] a chunked upload got further in this run (the attempt is not counted)
   */
  fail (item, err, moved) {
    // No answer (interrupted in the background, timeout, offline): retried by itself, a few
    // times. A domain missing from the whitelist or a file that is gone is not.
    const interrupted = api.retryable(err)
    const kind = err instanceof api.ApiError && err.statusCode === 0 ? err.code : ''
    const current = this.data.items.find((i) => i.id === item.id) || item
    /** @type {Partial<import('../../lib/queue.js').QueueItem>} */
    const patch = { status: 'failed', progress: 0, message: api.describe(err), interrupted, kind }
    if (moved && interrupted) patch.attempts = Math.max(0, (current.attempts || 1) - 1)
    this.update(item.id, patch)
  },

  /**
   * Tell how the run of the items with these ids went: a modal for a run the person started
   * (not for photos cut short in the background, which resume by themselves); only a line on
   * the page for a run resumed by itself (it may come at every onShow).
   * @param {Set<string>} ids @param {boolean} resumed
   */
  report (ids, resumed) {
    const items = this.data.items.filter((item) => ids.has(item.id))
    const failed = items.filter((item) => item.status === 'failed')
    const done = items.filter((item) => item.status === 'done')
    const skipped = items.filter((item) => item.status === 'skipped')
    const later = failed.filter(willRetry)
    if (failed.length) {
      this.setData({
        notice: `${countOf(failed)}未能备份` + (later.length ? `，${countOf(later)}将在回到前台或网络恢复后自动继续` : '') +
          `：${failed[0].message}`
      })
    }
    const told = resumed ? [] : failed.filter((item) => item.kind !== 'interrupted' || !willRetry(item))
    if (told.length) {
      wx.showModal({
        title: `${countOf(told)}未能备份`,
        content: told[0].message,
        showCancel: false
      })
    } else if (!failed.length && (done.length || skipped.length)) {
      wx.showToast({ title: `已备份 ${countOf(done)}，跳过 ${countOf(skipped)}`, icon: 'none' })
    }
  }
})

/**
 * How many, with the measure word Chinese uses: 张 for photos, 个 for videos ('2 张', '1 个视频',
 * '2 张照片和 1 个视频'). Photos only: `${n} ${photos}` (the button says 张照片, a summary 张).
 * @param {Array<{fileType?: string}>} items @param {string} [photos]
 */
function countOf (items, photos = '张') {
  const videos = items.filter((item) => item.fileType === 'video').length
  const stills = items.length - videos
  if (!videos) return `${stills} ${photos}`
  if (!stills) return `${videos} 个视频`
  return `${stills} 张照片和 ${videos} 个视频`
}

/** Unfinished and not given up on. @param {import('../../lib/queue.js').QueueItem} item */
function willRetry (item) {
  return queue.unfinished(item) && (item.attempts || 0) < MAX_ATTEMPTS
}

/**
 * The original API's 413 carries no error code: past the storage quota, or a file too large?
 * The person's usage and quota (`GET /api/v2/me`) tell; if they cannot be read, the 413 stays.
 * @param {unknown} err @param {number} size @returns {Promise<unknown>}
 */
async function quotaOr (err, size) {
  if (!(err instanceof api.ApiError) || err.statusCode !== 413 || err.code !== 'http_413') return err
  try {
    const me = await api.request('/api/v2/me')
    if (me.quota_bytes !== null && me.usage_bytes + size > me.quota_bytes) {
      return new api.ApiError(err.message, 413, 'quota_exceeded')
    }
  } catch (e) { /* cannot tell */ }
  return err
}
