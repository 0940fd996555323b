// Check (c): the mini program's real page code, on a fake device whose network is real HTTP,
// against a real `imgbackup serve` and a stand-in for WeChat's jscode2session. The steps run in
// order on one server and one phone, as a person would use them.
'use strict'
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { after, before, test } = require('node:test')

const { createWx } = require('./fake-wx.js')
const { MINIPROGRAM, startCode2Session, startServer, loadApp, loadPage, tap } = require('./harness.js')

const MAX_UPLOAD_MB = 1
// A tiny real JPEG; each photo below is a copy with its own comment segment, so its own bytes.
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAQABgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCL/kHf9eP/AKI/+w/9B/3fu3qKo/8AIO/68f8A0R/9h/6D/u/d+M/3n/H/AOlf/bf+lf4vi+w/hf4fy/4H5emx/wAg7/rx/wDRH/2H/oP+790q9RR7alPWtFuXdO1/XR6+fXrrds5JR0g7L0/4KP/Z', 'base64')

let tmp, server, wechat, device, api, queue
const photos = {} // name -> file on the test machine (what the person picks in the album)

function jpeg (name) {
  const comment = Buffer.from(`imgbackup test photo ${name}`)
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment])
  const file = path.join(tmp, `${name}.jpg`)
  fs.writeFileSync(file, Buffer.concat([JPEG.subarray(0, 2), segment, JPEG.subarray(2)]))
  return file
}

const md5 = (file) => crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex')
const lastModal = () => device.seen.modals[device.seen.modals.length - 1]
const byStatus = (page, status) => page.data.items.filter((item) => item.status === status)

/** The person picks `names` in the album. */
async function choose (page, names) {
  device.script.chosen.push(names.map((name) => photos[name]))
  page.choose()
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbackup-mp-'))
  wechat = await startCode2Session()
  server = await startServer(tmp, {
    IMGBACKUP_WECHAT_APPID: 'wx-test-appid',
    IMGBACKUP_WECHAT_SECRET: 'test-secret',
    IMGBACKUP_WECHAT_CODE2SESSION_URL: wechat.url,
    IMGBACKUP_WECHAT_SIGNUP: 'open',
    IMGBACKUP_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB)
  })
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) photos[name] = jpeg(name)
  photos.big = path.join(tmp, 'big.jpg')
  fs.writeFileSync(photos.big, Buffer.concat([JPEG, Buffer.alloc((MAX_UPLOAD_MB + 2) * 1024 * 1024)]))
  photos.text = path.join(tmp, 'notes.jpg')
  fs.writeFileSync(photos.text, 'not a photo at all\n')

  device = createWx(path.join(tmp, 'device'))
  fs.mkdirSync(path.join(tmp, 'device'))
  const app = loadApp(device.wx)
  app.globalData.serverUrl = server.url
  api = require(path.join(MINIPROGRAM, 'lib', 'api.js'))
  queue = require(path.join(MINIPROGRAM, 'lib', 'queue.js'))
})

after(async () => {
  if (server) await server.stop()
  if (wechat) await wechat.stop()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

test('every handler a page binds in its WXML exists on the page', () => {
  for (const name of ['backup', 'photos', 'trash']) {
    const page = loadPage(name)
    const wxml = fs.readFileSync(path.join(MINIPROGRAM, 'pages', name, `${name}.wxml`), 'utf8')
    const handlers = [...wxml.matchAll(/\b(?:bind|catch)[\w:]*="([^"]+)"/g)].map((m) => m[1])
    assert.ok(handlers.length)
    for (const handler of handlers) assert.equal(typeof page[handler], 'function', `${name}: ${handler}`)
  }
})

test('chosen photos can be removed before upload, then are uploaded with their device md5', async () => {
  const page = loadPage('backup')
  page.onShow()
  await choose(page, ['a', 'b', 'h'])
  assert.deepEqual(page.data.items.map((item) => item.status), ['ready', 'ready', 'ready'])
  page.remove(tap({ id: page.data.items[2].id }))
  assert.equal(page.data.items.length, 2)
  assert.equal(device.storage.has(queue.QUEUE_KEY), true, 'the queue is kept in storage')

  page.preview(tap({ path: page.data.items[0].path }))
  assert.equal(device.seen.previews.at(-1).urls.length, 2)

  await choose(page, ['c', 'd', 'e'])
  assert.equal(page.data.readyCount, 5)
  await page.start(tap({}))

  const done = byStatus(page, 'done')
  assert.equal(done.length, 5, JSON.stringify(page.data.items))
  assert.equal(wechat.calls.length, 1, 'one login for all uploads')
  assert.deepEqual(wechat.calls[0], {
    appid: 'wx-test-appid', secret: 'test-secret', js_code: 'ok-openid-phone', grant_type: 'authorization_code'
  })
  const token = device.wx.getStorageSync('imgbackup.token')
  assert.match(token, /^ib_/)
  assert.equal(JSON.stringify(device.storage.get('imgbackup.token')).includes('secret-session-key'), false)

  // The device's md5 is what the server computed (the page compares them) and what it keeps.
  for (const [item, name] of done.map((item, i) => [item, ['a', 'b', 'c', 'd', 'e'][i]])) {
    assert.equal(item.md5, md5(photos[name]))
    const got = await fetch(`${server.url}/api/v1.0/service/image/?md5=${item.md5}`,
      { headers: { Authorization: `Bearer ${token}` } })
    assert.equal(got.status, 200)
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), fs.readFileSync(photos[name]))
  }
  assert.ok(device.seen.maxUploadsInFlight <= api.MAX_UPLOADS, `${device.seen.maxUploadsInFlight} in flight`)
  assert.ok(device.seen.maxUploadsInFlight > 1, 'uploads run side by side')
  assert.ok(device.seen.progress.some((p) => p.progress === 100))
  assert.match(device.seen.toasts.at(-1).title, /5/)
})

test('a photo the server already has is skipped, not sent again', async () => {
  const page = loadPage('backup')
  page.onShow()
  page.clearFinished()
  const uploadsBefore = device.seen.uploads.length
  await choose(page, ['a', 'f'])
  await page.start(tap({}))
  assert.deepEqual(page.data.items.map((item) => item.status), ['skipped', 'done'])
  assert.equal(device.seen.uploads.length, uploadsBefore + 1)
  assert.equal(device.seen.uploads.at(-1).filePath, page.data.items[1].path)
  assert.equal(device.seen.toasts.at(-1).title, '已备份 1 张，跳过 1 张')
})

test('an upload cut short in the background is resumed in onShow', async () => {
  const page = loadPage('backup')
  page.onShow()
  page.clearFinished()
  await choose(page, ['g'])
  // The app went to the background mid-upload and the page was built again.
  const saved = device.wx.getStorageSync(queue.QUEUE_KEY)
  saved[0].status = 'uploading'
  device.wx.setStorageSync(queue.QUEUE_KEY, saved)
  const again = loadPage('backup')
  again.onShow()
  await waitFor(() => !again.data.busy && again.data.items[0].status === 'done')
})

test('backed-up photos are listed from the server with downloaded thumbnails', async () => {
  const page = loadPage('photos')
  await page.onLoad()
  assert.equal(page.data.items.length, 7)
  assert.equal(page.data.end, true)
  for (const item of page.data.items) {
    assert.ok(item.thumb, `thumbnail of ${item.filename}`)
    const bytes = fs.readFileSync(device.real(item.thumb))
    assert.ok(isImage(bytes), 'the thumbnail is an image')
  }
  await page.open(tap({ id: page.data.items[0].id }))
  const preview = device.seen.previews.at(-1)
  assert.ok(isImage(fs.readFileSync(device.real(preview.current))))
})

test('the list is paginated: more photos load at the bottom of the page', async () => {
  const gallery = require(path.join(MINIPROGRAM, 'lib', 'gallery.js'))
  const pageSize = gallery.settings.pageSize
  gallery.settings.pageSize = 3
  try {
    const page = loadPage('photos')
    await page.onLoad()
    assert.equal(page.data.items.length, 3)
    assert.equal(page.data.end, false)
    await page.onReachBottom()
    await page.onReachBottom()
    assert.equal(page.data.items.length, 7)
    assert.equal(page.data.end, true)
    assert.equal(new Set(page.data.items.map((item) => item.id)).size, 7)
    await page.onReachBottom()
    assert.equal(page.data.items.length, 7)
  } finally {
    gallery.settings.pageSize = pageSize
  }
})

test('long press → save to album gives the original bytes back, asking for permission first', async () => {
  const page = loadPage('photos')
  await page.onLoad()
  const item = page.data.items.find((i) => i.md5 === md5(photos.a))
  device.script.actionSheetTaps.push(0)
  await page.actions(tap({ id: item.id }))
  assert.equal(device.seen.authSetting['scope.writePhotosAlbum'], true)
  assert.deepEqual(device.seen.album.at(-1), fs.readFileSync(photos.a))
})

test('refused album permission leads to the settings page', async () => {
  const page = loadPage('photos')
  await page.onLoad()
  device.seen.authSetting['scope.writePhotosAlbum'] = false
  const saved = device.seen.album.length
  device.script.actionSheetTaps.push(0)
  device.script.modalAnswers.push(true) // "去设置"
  await page.actions(tap({ id: page.data.items[0].id }))
  assert.equal(lastModal().confirmText, '去设置')
  assert.equal(device.seen.album.length, saved + 1)
})

test('delete asks first, moves the photo to the trash, and the trash restores it', async () => {
  const photosPage = loadPage('photos')
  await photosPage.onLoad()
  const item = photosPage.data.items.find((i) => i.md5 === md5(photos.b))

  device.script.actionSheetTaps.push(1)
  device.script.modalAnswers.push(false) // the person changes their mind
  await photosPage.actions(tap({ id: item.id }))
  assert.equal(photosPage.data.items.length, 7)

  device.script.actionSheetTaps.push(1)
  device.script.modalAnswers.push(true)
  await photosPage.actions(tap({ id: item.id }))
  assert.ok(lastModal().confirmText.length <= 4)
  assert.equal(photosPage.data.items.length, 6)
  assert.equal(device.seen.toasts.at(-1).title, '已移到回收站')

  const trash = loadPage('trash')
  await trash.onShow()
  assert.deepEqual(trash.data.items.map((i) => i.id), [item.id])
  assert.ok(trash.data.items[0].thumb)
  assert.equal(trash.data.items[0].daysLeft, 30) // IMGBACKUP_TRASH_DAYS' default
  await trash.restore(tap({ id: item.id }))
  assert.equal(trash.data.items.length, 0)

  await photosPage.onShow()
  assert.equal(photosPage.data.items.length, 7, 'the restored photo is back')
})

test('a token the server no longer accepts leads to a new login and one retry', async () => {
  const logins = wechat.calls.length
  getApp().globalData.token = 'ib_revoked'
  device.wx.setStorageSync('imgbackup.token', 'ib_revoked')
  const page = loadPage('photos')
  await page.onLoad()
  assert.equal(page.data.items.length, 7)
  assert.equal(wechat.calls.length, logins + 1)

  // Uploads too (the server reads the body before it answers 401).
  getApp().globalData.token = 'ib_revoked-again'
  const backup = loadPage('backup')
  backup.onShow()
  backup.clearFinished()
  await choose(backup, ['h'])
  await backup.start(tap({}))
  assert.equal(backup.data.items[0].status, 'done')
  assert.equal(wechat.calls.length, logins + 2)
})

test('a login WeChat refuses is shown as a login failure', async () => {
  getApp().globalData.token = ''
  device.wx.removeStorageSync('imgbackup.token')
  device.script.loginCodes.push('expired-code') // the stand-in answers 40029: the server 401
  const page = loadPage('photos')
  await page.onLoad()
  assert.equal(page.data.items.length, 0)
  assert.equal(lastModal().content, `${api.MESSAGES[401]}（the WeChat login code is invalid or expired）`)
})

test('a photo over the size limit (413) and a file that is no image (415) are explained', async () => {
  const page = loadPage('backup')
  page.onShow()
  page.clearFinished()
  await choose(page, ['big', 'text'])
  await page.start(tap({}))
  const [big, text] = page.data.items
  assert.equal(big.status, 'failed')
  assert.ok(big.message.startsWith(api.MESSAGES[413]), big.message)
  assert.equal(text.status, 'failed')
  assert.ok(text.message.startsWith(api.MESSAGES[415]), text.message)
  const modal = lastModal()
  assert.equal(modal.title, '2 张未能备份')
  assert.ok(modal.content.startsWith(api.MESSAGES[413]))
})

test('no network is explained, and the upload is retried when the page shows again', async () => {
  const app = getApp()
  const serverUrl = app.globalData.serverUrl
  app.globalData.serverUrl = 'http://127.0.0.1:9' // the discard port: nothing listens
  const page = loadPage('backup')
  page.onShow()
  page.clearFinished()
  page.remove(tap({ id: page.data.items[0].id }))
  page.remove(tap({ id: page.data.items[0].id }))
  fs.copyFileSync(photos.a, path.join(tmp, 'again.jpg'))
  photos.again = path.join(tmp, 'again.jpg')
  await choose(page, ['again'])
  await page.start(tap({}))
  assert.equal(page.data.items[0].status, 'failed')
  assert.equal(page.data.items[0].interrupted, true)
  assert.equal(lastModal().content, api.MESSAGES[0])

  app.globalData.serverUrl = serverUrl
  const again = loadPage('backup')
  again.onShow()
  await waitFor(() => !again.data.busy && again.data.items[0].status === 'skipped')
})

function isImage (bytes) {
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8
  const webp = bytes.subarray(0, 4).toString() === 'RIFF' && bytes.subarray(8, 12).toString() === 'WEBP'
  return jpeg || webp
}

async function waitFor (condition, ms = 15000) {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
