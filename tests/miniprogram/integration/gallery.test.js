// The photos and trash pages, rendered through wcc and driven by taps, against a real server.
// Each test is a new phone and a new user with its own photos: any one runs alone.
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { MINIPROGRAM } = require('./harness.js')
const { useServer, phone, jpeg, video, md5, gate, isImage, waitFor } = require('./common.js')

useServer()
const tiles = (p, page) => p.gallery.shown(page.instance)
/** No setData sent the whole grid (only page one on a reload may set `groups`). */
const wholeList = (patches) => patches.filter((patch) => 'groups' in patch && patch.groups.length > 1)
const downloadsOf = (p, kind) => p.device.seen.calls.filter((c) => c.kind === 'downloadFile' && c.url.includes(kind)).length

/** A phone whose user has `n` photos on the server, and the files. */
async function withPhotos (n, name) {
  const p = phone(name)
  const files = Array.from({ length: n }, (_, i) => jpeg(`${name}-${i}`))
  const ids = await p.seed(files)
  return { p, files, ids }
}

test('photos are listed with thumbnails; a tap previews it full size, swiping to the others', async () => {
  const { p, ids } = await withPhotos(3, 'list')
  const page = await p.open('photos')
  assert.equal(page.data.loading, false)
  assert.equal(page.count('.tile'), 3)
  await p.gallery.thumbnailsLoaded(page.instance)
  assert.equal(page.count('.thumb'), 3)
  for (const item of tiles(p, page)) assert.ok(isImage(fs.readFileSync(p.device.real(item.thumb))))
  assert.equal(page.text('.weui-cells__tips'), '轻触查看大图，长按保存或删除。')

  await page.tap('.tile', 1)
  const shown = p.device.seen.previews.at(-1)
  assert.ok(isImage(fs.readFileSync(p.device.real(shown.current))))
  assert.equal(shown.urls.length, 3, 'the other photos are in the preview, to swipe to')
  assert.equal(shown.urls[1], shown.current)
  assert.deepEqual(tiles(p, page).map((item) => item.id).sort(), [...ids].sort())
})

test('a video tile shows its duration; a tap plays it in <video> from a signed URL that needs no header', async () => {
  const p = phone('video-tile')
  const clip = video('tile', { seed: 5 })
  const ids = await p.seed([jpeg('beside-a-video'), clip])
  const page = await p.open('photos')
  const at = tiles(p, page).findIndex((tile) => tile.id === ids[1])
  assert.equal(page.texts('.duration').join(), '▶ 0:06', 'the badge of the video alone')
  assert.equal(page.count('.video'), 0)

  await page.tap('.tile', at)
  const src = page.data.playing.src
  assert.match(src, /^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/play\/[^/]+$/)
  assert.equal(page.count('.video'), 1)
  assert.match(page.comp.querySelector('.video').dom.tagName, /video/i, 'the page plays it in a <video>')
  assert.equal(p.device.seen.previews.length, 0, 'not shown as a still')
  // What <video> does: GET without any header, and Range requests to seek.
  const whole = await fetch(src)
  assert.equal(whole.status, 200)
  assert.equal(whole.headers.get('content-type'), 'video/mp4')
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(fs.readFileSync(clip)))
  const part = await fetch(src, { headers: { Range: 'bytes=100-199' } })
  assert.equal(part.status, 206)
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(fs.readFileSync(clip).subarray(100, 200)))
  const changed = src.slice(0, -2) + (src.endsWith('AA') ? 'BB' : 'AA')
  assert.equal((await fetch(changed)).status, 404, 'a changed link plays nothing')
  await page.tap('.close')
  assert.equal(page.count('.video'), 0)

  // A photo's preview swipes to the other photos only, not to the video's poster.
  await page.tap('.tile', 1 - at)
  assert.deepEqual(p.device.seen.previews.at(-1).urls.length, 1)

  // Long press → save: the original video, into the album.
  p.device.script.actionSheetTaps.push(0)
  await page.longpress('.tile', at)
  await waitFor(() => p.device.seen.album.length === 1, 'the saved video')
  assert.ok(p.device.seen.album[0].equals(fs.readFileSync(clip)))
})

test('a video phones cannot play as it is: the page waits while the server makes its copy, then plays that', async () => {
  const p = phone('video-copy')
  p.playback = require(path.join(MINIPROGRAM, 'lib', 'playback.js'))
  p.playback.settings.retryMs = 200
  p.playback.settings.tries = 150
  const [id] = await p.seed([video('hevc', { seed: 8, kind: 'mov', seconds: 1 })])
  const page = await p.open('photos')
  await page.tap('.tile', 0)
  await waitFor(() => page.data.playing, 'the playable copy', 60000)
  assert.ok(p.device.seen.loadings.includes('视频转码中'), 'the page said it was waiting')
  const played = await fetch(page.data.playing.src)
  assert.equal(played.status, 200)
  assert.equal(played.headers.get('content-type'), 'video/mp4', 'the H.264 copy, not the HEVC MOV')
  assert.equal((await p.server(`/api/v2/photos/${id}`)).body.content_type, 'video/quicktime')
})

test('a photo deleted elsewhere: opening or saving it says so, never shows the error body', async () => {
  const { p, ids } = await withPhotos(1, 'gone')
  const page = await p.open('photos')
  await p.server(`/api/v2/photos/${ids[0]}`, 'DELETE')
  await p.server(`/api/v2/trash/${ids[0]}`, 'DELETE')
  await page.tap('.tile', 0)
  assert.equal(p.device.seen.previews.length, 0)
  assert.ok(p.lastModal().content.startsWith(p.api.MESSAGES[404]), p.lastModal().content)
  p.device.script.actionSheetTaps.push(0)
  await page.longpress('.tile', 0)
  assert.equal(p.device.seen.album.length, 0)
  assert.ok(p.lastModal().content.startsWith(p.api.MESSAGES[404]))
  assert.equal(p.device.seen.modals.length, 2)
})

test('the list is paginated: more photos load at the bottom of the page', async () => {
  const { p } = await withPhotos(7, 'pages')
  p.gallery.settings.pageSize = 3
  const page = await p.open('photos')
  assert.equal(page.count('.tile'), 3)
  assert.equal(page.data.end, false)
  await page.call('onReachBottom')
  await page.call('onReachBottom')
  assert.equal(page.count('.tile'), 7)
  assert.equal(page.data.end, true)
  assert.equal(new Set(tiles(p, page).map((item) => item.id)).size, 7)
  await page.call('onReachBottom')
  assert.equal(page.count('.tile'), 7)
  // Pages after the first are appended by path, never as the whole list.
  const appends = page.setDataLog.filter((patch) => Object.keys(patch).some((k) => /^groups\[\d+\]$/.test(k)))
  assert.equal(appends.length, 2)
  assert.deepEqual(wholeList(page.setDataLog), [])
})

test('pull-down refresh stops once the fresh list is in, even during a load', async () => {
  const { p } = await withPhotos(1, 'pull')
  const page = await p.open('photos')
  // A load is running (its answer held) when the person pulls down after adding a photo.
  const held = gate()
  const answered = gate()
  p.device.script.requestGate = (url) => {
    if (!url.includes('/api/v2/photos?')) return null
    answered.open()
    return held.wait()
  }
  const first = page.call('reload')
  await answered.wait() // the server has answered with one photo; the answer is on its way
  await p.seed([jpeg('pull-new')])
  p.device.script.requestGate = null
  const pulled = page.call('onPullDownRefresh')
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(p.device.seen.pullDownStops, 0, 'not stopped while the list is loading')
  held.open()
  await Promise.all([first, pulled])
  assert.equal(p.device.seen.pullDownStops, 1)
  assert.equal(page.count('.tile'), 2, 'the reload asked for during the load was not dropped')
})

test('thumbnails are downloaded once per session; the trash is not reloaded on every show', async () => {
  const { p } = await withPhotos(2, 'cache')
  const page = await p.open('photos')
  await p.gallery.thumbnailsLoaded(page.instance)
  assert.equal(downloadsOf(p, 'thumbnail'), 2)
  await page.call('onPullDownRefresh')
  await p.gallery.thumbnailsLoaded(page.instance)
  assert.equal(page.count('.thumb'), 2)
  assert.equal(downloadsOf(p, 'thumbnail'), 2, 'cached: not downloaded again')

  const trash = await p.open('trash')
  const lists = () => p.device.seen.calls.filter((c) => c.url.includes('/api/v2/trash?')).length
  assert.equal(lists(), 1)
  await trash.call('onShow')
  await trash.call('onShow')
  assert.equal(lists(), 1, 'nothing changed: not read again')
})

test('long press → delete asks first, updates the grid by path; the trash restores after asking', async () => {
  const { p, files } = await withPhotos(2, 'trash')
  const photos = await p.open('photos')
  const trash = await p.open('trash')
  assert.match(trash.text(), /回收站是空的/)
  const index = tiles(p, photos).findIndex((item) => item.md5 === md5(files[0]))

  p.device.script.actionSheetTaps.push(1)
  p.device.script.modalAnswers.push(false) // the person changes their mind
  await photos.longpress('.tile', index)
  assert.equal(photos.count('.tile'), 2)

  const before = photos.setDataLog.length
  p.device.script.actionSheetTaps.push(1)
  p.device.script.modalAnswers.push(true)
  await photos.longpress('.tile', index)
  assert.ok(p.lastModal().confirmText.length <= 4)
  assert.equal(photos.count('.tile'), 1)
  assert.equal(p.device.seen.toasts.at(-1).title, '已移到回收站')
  assert.ok(photos.setDataLog.slice(before).every((patch) => !('groups' in patch)), 'no whole-list setData')

  await trash.call('onShow') // something was deleted: read again
  assert.equal(trash.count('.tile'), 1)
  assert.match(trash.text('.days'), /^30 天后删除$/) // IMGBACKUP_TRASH_DAYS' default
  p.device.script.actionSheetTaps.push(0)
  p.device.script.modalAnswers.push(false)
  await trash.tap('.tile', 0)
  assert.equal(trash.count('.tile'), 1, 'not restored without a yes')
  assert.equal(p.lastModal().confirmText, '恢复')
  p.device.script.actionSheetTaps.push(0)
  p.device.script.modalAnswers.push(true)
  await trash.tap('.tile', 0)
  assert.equal(trash.count('.tile'), 0)
  await photos.call('onShow')
  assert.equal(photos.count('.tile'), 2, 'the restored photo is back')
})

test('the trash deletes forever after asking', async () => {
  const { p, ids } = await withPhotos(1, 'forever')
  await p.server(`/api/v2/photos/${ids[0]}`, 'DELETE')
  const trash = await p.open('trash')
  p.device.script.actionSheetTaps.push(1)
  p.device.script.modalAnswers.push(true)
  await trash.tap('.tile', 0)
  assert.equal(p.lastModal().title, '永久删除？')
  assert.equal(trash.count('.tile'), 0)
  assert.equal((await p.server('/api/v2/trash')).body.items.length, 0)
  assert.equal((await p.server(`/api/v2/photos/${ids[0]}`)).status, 404)
})

test('save to album: permission first, download progress shown, the original bytes', async () => {
  const { p, files } = await withPhotos(1, 'album')
  const page = await p.open('photos')
  p.device.script.actionSheetTaps.push(0)
  await page.longpress('.tile', 0)
  assert.equal(p.device.seen.authSetting['scope.writePhotosAlbum'], true)
  assert.deepEqual(p.device.seen.album.at(-1), fs.readFileSync(files[0]))
  assert.ok(p.device.seen.loadings.includes('下载中 50%'), p.device.seen.loadings.join())
  assert.equal(p.device.seen.toasts.at(-1).title, '已保存到相册')
})

test('album permission refused: nothing downloaded; refused before: offered the settings page', async () => {
  const { p, files } = await withPhotos(1, 'refused')
  const page = await p.open('photos')
  p.device.script.authorizeAnswer = false
  p.device.script.actionSheetTaps.push(0)
  await page.longpress('.tile', 0)
  assert.equal(downloadsOf(p, 'original'), 0, 'no download before the permission')
  assert.equal(p.device.seen.album.length, 0)

  p.device.script.actionSheetTaps.push(0)
  p.device.script.modalAnswers.push(true) // "去设置"
  await page.longpress('.tile', 0)
  assert.equal(p.lastModal().confirmText, '去设置')
  assert.deepEqual(p.device.seen.album.at(-1), fs.readFileSync(files[0]))
})

test('a failed save tells the errMsg, never "[object Object]"', async () => {
  const { p } = await withPhotos(1, 'savefail')
  const page = await p.open('photos')
  p.device.seen.authSetting['scope.writePhotosAlbum'] = true
  p.device.wx.saveImageToPhotosAlbum = (opts) => setImmediate(() => opts.fail({ errMsg: 'saveImageToPhotosAlbum:fail privacy permission is not authorized' }))
  p.device.script.actionSheetTaps.push(0)
  await page.longpress('.tile', 0)
  assert.match(p.lastModal().content, /隐私.*saveImageToPhotosAlbum:fail privacy permission is not authorized/)
  assert.equal(p.api.describe({ errMsg: 'x:fail something' }), 'x:fail something')
})

test('a login WeChat refuses is shown as a login failure', async () => {
  const p = phone('refused-login')
  p.device.script.loginCodes.push('expired-code') // the stand-in answers 40029: the server 401
  const page = await p.open('photos')
  assert.equal(page.count('.tile'), 0)
  assert.equal(p.lastModal().content, `${p.api.MESSAGES[401]}（the WeChat login code is invalid or expired）`)
})

test('a long list is virtual: groups far from the screen are emptied, and filled again near it', async () => {
  const { p } = await withPhotos(12, 'virtual')
  p.gallery.settings.pageSize = 4 // one row of 4 per group
  p.device.state.window = { ...p.device.state.window, windowWidth: 400, windowHeight: 100 }
  const page = await p.open('photos')
  await page.call('onReachBottom')
  await page.call('onReachBottom')
  assert.equal(page.data.groups.length, 3)
  assert.deepEqual(page.data.groups.map((group) => group.height), [100, 100, 100])
  assert.equal(page.count('.tile'), 12)
  await p.gallery.thumbnailsLoaded(page.instance)

  p.gallery.virtualise(page.instance, 1000) // scrolled far down: every group is far
  assert.equal(page.count('.tile'), 0)
  assert.deepEqual(page.data.groups.map((group) => group.items.length), [0, 0, 0])
  assert.deepEqual(page.texts('.grid'), ['', '', ''], 'the empty groups keep their place')
  assert.equal(tiles(p, page).length, 12, 'the tiles are kept outside the page data')

  await page.call('onPageScroll', { scrollTop: 0 }) // back at the top
  assert.equal(page.count('.tile'), 12)
  assert.equal(page.count('.thumb'), 12, 'with their thumbnails')
  assert.deepEqual(wholeList(page.setDataLog), [])
})
