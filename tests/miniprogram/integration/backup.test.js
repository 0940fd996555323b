// The backup page, rendered through wcc and driven by taps, against a real `imgbackup serve`.
// Each test is a new phone and a new user: any one runs alone.
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { useServer, phone, jpeg, video, md5, gate, waitFor, MAX_UPLOAD_MB, JPEG } = require('./common.js')
const { MINIPROGRAM, REPO } = require('./harness.js')

const env = useServer()
const statuses = (page) => page.data.items.map((item) => item.status)

test('every handler a page binds in its WXML exists on the page', async () => {
  const p = phone()
  for (const name of ['backup', 'photos', 'trash']) {
    const page = await p.open(name, { show: false })
    const wxml = fs.readFileSync(path.join(MINIPROGRAM, 'pages', name, `${name}.wxml`), 'utf8')
    const handlers = [...wxml.matchAll(/\b(?:bind|catch)[\w:]*="([^"]+)"/g)].map((m) => m[1])
    assert.ok(handlers.length)
    for (const handler of handlers) assert.equal(typeof page.instance[handler], 'function', `${name}: ${handler}`)
  }
})

test('chosen photos can be removed, then are uploaded with their device md5, showing progress', async () => {
  const p = phone()
  const page = await p.open('backup')
  const files = ['a', 'b', 'c', 'd', 'e'].map(jpeg)
  await p.choose(page, [files[0], files[1], jpeg('unwanted')])
  assert.deepEqual(statuses(page), ['ready', 'ready', 'ready'])
  assert.equal(page.count('.weui-uploader__file'), 3)
  await page.tap('.remove', 2)
  assert.equal(page.count('.weui-uploader__file'), 2)
  assert.equal(p.device.storage.has(p.queue.QUEUE_KEY), true, 'the queue is kept in storage')
  await page.tap('.weui-uploader__file', 0)
  assert.equal(p.device.seen.previews.at(-1).urls.length, 2)
  await p.choose(page, files.slice(2))
  assert.equal(page.text('.start'), '备份 5 张照片')

  // Uploads are held after their first progress event: the tiles show it meanwhile.
  const held = gate()
  p.device.script.uploadGate = held.wait
  const run = page.tap('.start')
  await waitFor(() => page.texts('.weui-uploader__file-content').filter((t) => t === '40%').length === 3,
    'three tiles showing 40%')
  assert.equal(page.text('.start'), '正在备份…')
  assert.deepEqual(p.device.seen.keepScreenOn, [true], 'the screen stays on during a run')
  held.open()
  await run
  assert.deepEqual(p.device.seen.keepScreenOn, [true, false])

  assert.deepEqual(statuses(page), ['done', 'done', 'done', 'done', 'done'])
  assert.equal(page.text('.weui-uploader__info'), '5/5')
  assert.equal(p.device.seen.maxUploadsInFlight, p.api.MAX_UPLOADS, 'uploads run side by side, 3 at most')
  assert.match(p.device.seen.toasts.at(-1).title, /已备份 5 张/)
  const token = await p.token()
  assert.match(token, /^ib_/)
  assert.equal(env.wechat.calls.filter((c) => c.js_code === `ok-${p.device.script.openid}`).length, 1,
    'one login for all uploads')
  // The device's md5 is what the server computed (the page compares them) and what it keeps.
  const order = [files[0], files[1], ...files.slice(2)]
  page.data.items.forEach((item, i) => assert.equal(item.md5, md5(order[i])))
  for (const file of order) {
    const got = await fetch(`${env.server.url}/api/v1.0/service/image/?md5=${md5(file)}`,
      { headers: { Authorization: `Bearer ${token}` } })
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), fs.readFileSync(file))
  }
})

test('progress events are throttled: a burst of them is a few setData calls, the last value kept', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.choose(page, [jpeg('burst')])
  p.device.script.uploadProgressSteps = Array.from({ length: 99 }, (_, i) => i + 1)
  const held = gate()
  p.device.script.uploadGate = held.wait
  const run = page.tap('.start')
  await waitFor(() => page.text('.weui-uploader__file-content') === '99%', 'the last progress value')
  const progressCalls = page.setDataLog.filter((patch) => Object.keys(patch).some((k) => k.endsWith('.progress')))
  assert.ok(progressCalls.length <= 3, `${progressCalls.length} setData calls for 100 progress events`)
  assert.ok(!page.setDataLog.some((patch) => Object.keys(patch).some((k) => k.endsWith('.progress')) && 'items' in patch))
  held.open()
  await run
  assert.equal(page.data.items[0].status, 'done')
})

test('a photo the server already has is skipped, not sent again', async () => {
  const p = phone()
  const [a, f] = [jpeg('skip-a'), jpeg('skip-f')]
  await p.seed([a])
  const page = await p.open('backup')
  await p.choose(page, [a, f])
  await page.tap('.start')
  assert.deepEqual(statuses(page), ['skipped', 'done'])
  assert.deepEqual(p.device.seen.uploads.map((u) => u.filePath), [page.data.items[1].path])
  assert.equal(p.device.seen.toasts.at(-1).title, '已备份 1 张，跳过 1 张')
  await page.tap('.clear')
  assert.equal(page.data.items.length, 0)
})

test('bytes changed on the way (the server computes another md5) fail the photo', async () => {
  const p = phone()
  const page = await p.open('backup')
  const file = jpeg('damaged')
  // A proxy damages the upload: one byte of the photo's comment changes, still a JPEG.
  p.device.script.alterUpload = (bytes) => {
    const copy = Buffer.from(bytes)
    copy[copy.indexOf('damaged')] ^= 0x20
    return copy
  }
  await p.choose(page, [file])
  await page.tap('.start')
  assert.equal(page.data.items[0].status, 'failed')
  assert.match(page.data.items[0].message, /校验值不一致/)
  assert.equal(p.lastModal().title, '1 张未能备份')
  assert.match(page.text('.errors'), /校验值不一致/)
})

test('a backup marks the photos page dirty: it shows the new photo when shown again', async () => {
  const p = phone()
  const photos = await p.open('photos')
  assert.equal(photos.data.count, 0)
  assert.match(photos.text(), /还没有备份的照片/)
  const backup = await p.open('backup')
  await p.choose(backup, [jpeg('fresh')])
  await backup.tap('.start')
  await photos.call('onShow')
  assert.equal(photos.count('.tile'), 1)
})

test('picks are capped at 20 (base library 2.25+), and at what is left of 20', async () => {
  const p = phone()
  const page = await p.open('backup')
  const files = Array.from({ length: 22 }, (_, i) => jpeg(`many-${i}`))
  await p.choose(page, files)
  assert.equal(page.data.items.length, 20)
  await page.tap('.remove', 0)
  await p.choose(page, files.slice(20))
  assert.equal(page.data.items.length, 20)
  await page.tap('.weui-uploader__input')
  assert.match(p.device.seen.toasts.at(-1).title, /最多/)
})

test('a refused privacy prompt or album permission on choose is said, a cancel is not', async () => {
  const p = phone()
  const page = await p.open('backup')
  await page.tap('.weui-uploader__input') // nothing scripted: the person cancels
  assert.equal(p.device.seen.modals.length, 0)
  p.device.script.chooseFail = 'privacy permission is not authorized'
  await page.tap('.weui-uploader__input')
  await waitFor(() => p.device.seen.modals.length === 1, 'a modal')
  assert.match(p.lastModal().content, /隐私/)
  assert.match(p.lastModal().content, /chooseMedia:fail privacy permission is not authorized/)
})

test('a photo over the size limit (413) and a file that is no image (415) are explained', async () => {
  const p = phone()
  const page = await p.open('backup')
  const big = path.join(env.tmp, 'big.jpg')
  fs.writeFileSync(big, Buffer.concat([JPEG, Buffer.alloc((MAX_UPLOAD_MB + 2) * 1024 * 1024)]))
  const text = path.join(env.tmp, 'notes.jpg')
  fs.writeFileSync(text, 'not a photo at all\n')
  await p.choose(page, [big, text])
  await page.tap('.start')
  const [first, second] = page.data.items
  assert.equal(first.status, 'failed')
  assert.ok(first.message.startsWith(p.api.MESSAGES[413]), first.message)
  assert.ok(second.message.startsWith(p.api.MESSAGES[415]), second.message)
  assert.equal(p.lastModal().title, '2 张未能备份')
  assert.deepEqual(page.texts('.errors').map((t) => t.slice(0, 3)), ['1. ', '2. '])
})

test('a temp file gone since it was chosen (the app was closed) fails without a network call', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.choose(page, [jpeg('gone')])
  p.device.dropTempFiles()
  await page.tap('.start')
  assert.equal(page.data.items[0].status, 'failed')
  assert.equal(page.data.items[0].message, p.api.NETWORK_MESSAGES.file)
  // And the network module, asked to upload a missing file, gets the device's fail, no throw.
  await assert.rejects(p.api.uploadFile({ url: '/api/v1.0/service/image/', filePath: 'http://tmp/none.jpg', name: 'photo' }),
    (err) => err.code === 'file' && /uploadFile:fail file not found/.test(err.message))
})

test('a revoked token leads to a new login and one retry, for uploads too', async () => {
  const p = phone()
  await p.token()
  const logins = env.wechat.calls.length
  p.app.globalData.token = 'ib_revoked'
  const page = await p.open('backup')
  await p.choose(page, [jpeg('relogin')])
  await page.tap('.start')
  assert.equal(page.data.items[0].status, 'done')
  assert.equal(env.wechat.calls.length, logins + 1)
})

/** A server command on this file's server's data (`imgbackup quota`, `imgbackup shell -c`). */
function manage (...args) {
  const { execFileSync } = require('node:child_process')
  return execFileSync(path.join(REPO, '.venv', 'bin', 'imgbackup'), args,
    { env: { ...process.env, IMGBACKUP_DATA_DIR: path.join(env.tmp, 'data') }, encoding: 'utf8' })
}

test('past the storage quota, a photo (original API, no code) and a video (tus) say so, not "too large"', async () => {
  const p = phone('quota')
  await p.seed([jpeg('quota-seed')])
  const { username } = (await p.server('/api/v2/me')).body
  manage('quota', username, '1K')
  const page = await p.open('backup')
  await p.choose(page, [jpeg('quota-photo'), video('quota-video', { seed: 11 })])
  await page.tap('.start')
  for (const item of page.data.items) {
    assert.equal(item.status, 'failed')
    assert.ok(item.message.startsWith(p.api.CODE_MESSAGES.quota_exceeded), item.message)
  }
  assert.ok(p.lastModal().content.startsWith(p.api.CODE_MESSAGES.quota_exceeded))
  // Too large stays too large, with a quota set (the photo is over IMGBACKUP_MAX_UPLOAD_MB).
  manage('quota', username, '1T')
  const big = path.join(env.tmp, 'quota-big.jpg')
  fs.writeFileSync(big, Buffer.concat([JPEG, Buffer.alloc((MAX_UPLOAD_MB + 2) * 1024 * 1024)]))
  await page.tap('.remove', 0)
  await page.tap('.remove', 0)
  await p.choose(page, [big])
  await page.tap('.start')
  assert.equal(page.data.items.length, 1)
  assert.ok(page.data.items[0].message.startsWith(p.api.MESSAGES[413]), page.data.items[0].message)
})

test('a login the server refuses by its signup rules or a disabled account says which, in Chinese', async () => {
  const p = phone('disabled')
  const { username } = (await p.server('/api/v2/me')).body
  manage('shell', '-c', 'from django.contrib.auth.models import User; ' +
    `User.objects.filter(username=${JSON.stringify(username)}).update(is_active=False)`)
  const photos = await p.open('photos')
  assert.equal(photos.count('.tile'), 0)
  assert.ok(p.lastModal().content.startsWith(p.api.CODE_MESSAGES.account_disabled), p.lastModal().content)
  // IMGBACKUP_WECHAT_SIGNUP approve and closed (this file's server is open): the codes docs/api.md gives.
  for (const code of ['approval_required', 'signup_closed']) {
    const told = p.api.describe(new p.api.ApiError('the server says why', 403, code))
    assert.equal(told, `${p.api.CODE_MESSAGES[code]}（the server says why）`)
  }
})

test('videos are counted as videos (个视频), not as photos (张照片), on the button and in the summaries', async () => {
  const p = phone('measure-words')
  const page = await p.open('backup')
  await p.choose(page, [jpeg('mw-photo'), video('mw-video', { seed: 21 })])
  assert.equal(page.text('.start'), '备份 1 张照片和 1 个视频')
  await page.tap('.start')
  assert.equal(p.device.seen.toasts.at(-1).title, '已备份 1 张照片和 1 个视频，跳过 0 张')
  await page.tap('.clear')
  await p.choose(page, [video('mw-video-2', { seed: 22 })])
  assert.equal(page.text('.start'), '备份 1 个视频')
  p.device.state.online = false
  await page.tap('.start')
  assert.equal(p.lastModal().title, '1 个视频未能备份')
  assert.match(page.data.notice, /^1 个视频未能备份，1 个视频将在回到前台或网络恢复后自动继续/)
})
