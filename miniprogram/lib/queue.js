// The backup queue kept in storage, so that uploads cut short by the app going to the
// background (WeChat fails calls still running 5 s later) resume in the page's onShow. An item is
// a photo or a video (`fileType`); a video shows its cover (`thumb`) and `duration`.

const { clock } = require('./clock.js')

const QUEUE_KEY = 'imgbackup.queue'

/**
 * @typedef {'ready' | 'waiting' | 'hashing' | 'uploading' | 'done' | 'skipped' | 'failed'} Status
 * @typedef {{id: string, path: string, size: number, md5: string, status: Status,
 *            label: string, progress: number, message: string, interrupted: boolean,
 *            kind: string, attempts: number, fileType: string, thumb: string,
 *            duration: string}} QueueItem
 * `interrupted`: failed without an answer, worth retrying by itself; `kind`: why (see
 * lib/api.js NETWORK_MESSAGES); `attempts`: runs that included it since the person's last tap.
 */

/** Statuses of an item the person asked to back up and that has not finished. */
const ACTIVE = ['waiting', 'hashing', 'uploading']

/** @type {Record<Status, string>} */
const LABELS = {
  ready: '待备份',
  waiting: '排队中',
  hashing: '校验中',
  uploading: '上传中',
  done: '已备份',
  skipped: '已在服务器',
  failed: '失败'
}

/** @returns {QueueItem[]} */
function load () {
  const saved = wx.getStorageSync(QUEUE_KEY)
  // Kept by a version before videos: photos, shown from their own file.
  return Array.isArray(saved)
    ? saved.map((item) => Object.assign({ fileType: 'image', thumb: item.path, duration: '' }, item))
    : []
}

/** @param {QueueItem[]} items */
function save (items) {
  // Progress is not kept: a photo's interrupted upload starts again from the beginning, and a
  // chunked one (lib/chunked.js) asks the server where it stopped.
  wx.setStorageSync(QUEUE_KEY, items.map((item) => Object.assign({}, item, { progress: 0 })))
}

let counter = 0

/**
 * @param {{tempFilePath: string, size: number, fileType?: string, thumbTempFilePath?: string,
 *          duration?: number}} file a `chooseMedia` result's file
 * @returns {QueueItem}
 */
function newItem (file) {
  counter += 1
  return {
    id: `${Date.now()}-${counter}`,
    path: file.tempFilePath,
    size: file.size,
    md5: '',
    status: 'ready',
    label: LABELS.ready,
    progress: 0,
    message: '',
    interrupted: false,
    kind: '',
    attempts: 0,
    fileType: file.fileType === 'video' ? 'video' : 'image',
    // A video's cover, shown instead of the video (an <image> cannot show a video file).
    thumb: file.fileType === 'video' ? (file.thumbTempFilePath || '') : file.tempFilePath,
    duration: file.fileType === 'video' ? clock(file.duration || 0) : ''
  }
}

/** Asked to be backed up and not finished: resumed by the page's onShow. @param {QueueItem} item */
function unfinished (item) {
  return ACTIVE.includes(item.status) || (item.status === 'failed' && item.interrupted)
}

/** The device's MD5 of a file, from the file system manager (not the deprecated wx.getFileInfo). */
function md5Of (filePath) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().getFileInfo({
      filePath,
      digestAlgorithm: 'md5',
      success: (res) => resolve(res.digest.toLowerCase()),
      fail: (res) => reject(new Error(res.errMsg))
    })
  })
}

module.exports = { QUEUE_KEY, ACTIVE, LABELS, load, save, newItem, unfinished, md5Of }
