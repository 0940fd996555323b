// Albums and sharing in the mini program: the albums and album pages, rendered through wcc and
// driven by taps, the photos page's "分享给朋友" / "加入相簿", against a real server. Each
// test is a new phone and a new user: any one runs alone.
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { useServer, phone, jpeg, isImage } = require('./common.js')

const env = useServer()
let others = 0

/** JSON to or from the server with a token: the server's view, or another user's doing. */
async function call (token, method, apiPath, body) {
  const res = await fetch(env.server.url + apiPath, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

/** Another WeChat user, signed in straight through the API (no phone of their own here). */
async function otherUser (name) {
  others += 1
  const res = await fetch(`${env.server.url}/api/v2/auth/wechat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: `ok-other-${name}-${others}-${process.pid}` })
  })
  const { token, user } = await res.json()
  return { token, username: user.username }
}

/** Upload files as `token` through API v2; their ids. */
async function upload (token, files) {
  const form = new FormData()
  for (const file of files) form.append('file', new Blob([fs.readFileSync(file)]), path.basename(file))
  const res = await fetch(`${env.server.url}/api/v2/photos`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form })
  return (await res.json()).items.map((item) => item.id)
}

/** An album of `token`'s with these photos (the first as cover); its id. */
async function album (token, name, ids = []) {
  const made = await call(token, 'POST', '/api/v2/albums', { name })
  if (ids.length) {
    await call(token, 'POST', `/api/v2/albums/${made.body.id}/photos`, { ids })
    await call(token, 'PATCH', `/api/v2/albums/${made.body.id}`, { cover: ids[0] })
  }
  return made.body.id
}

/** A phone whose user has `n` photos, and its token and username. */
async function withPhotos (n, name) {
  const p = phone(name)
  const token = await p.token()
  const ids = n ? await upload(token, Array.from({ length: n }, (_, i) => jpeg(`${name}-${i}`))) : []
  const { username } = (await p.server('/api/v2/me')).body
  return { p, token, ids, username }
}

const albumNames = async (token) => (await call(token, 'GET', '/api/v2/albums')).body.items.map((a) => a.name).sort()

test('the albums page lists own albums and "与我共享", with covers and counts; a tap opens one', async () => {
  const bob = await otherUser('bob')
  const bobs = await upload(bob.token, [jpeg('bob-1'), jpeg('bob-2')])
  const { p, token, ids, username } = await withPhotos(2, 'list')
  await album(token, 'Summer', ids)
  await album(token, 'Empty')
  const shared = await album(bob.token, 'Bob trip', bobs)
  assert.equal((await call(bob.token, 'POST', `/api/v2/albums/${shared}/members`, { username, role: 'contributor' })).status, 201)

  const page = await p.open('albums')
  const lists = () => p.device.seen.calls.filter((c) => c.kind === 'request' && c.url.endsWith('/api/v2/albums')).length
  assert.equal(lists(), 1, 'the first onShow follows onLoad: not read twice')
  assert.deepEqual(page.texts('.mine .name'), ['Empty', 'Summer'], 'newest first')
  assert.deepEqual(page.texts('.mine .count'), ['0 张', '2 张'])
  assert.deepEqual(page.texts('.shared .name'), ['Bob trip'])
  assert.equal(page.text('.shared .owner'), `来自 ${bob.username} · 可添加`)
  assert.equal(page.count('.mine .thumb'), 1, 'a cover where the album has one')
  assert.equal(page.count('.shared .thumb'), 1)
  assert.equal(page.text('.me'), `你的用户名：${username}（别人在网页版用它与你共享相簿）`)
  for (const row of page.data.mine.concat(page.data.shared).filter((r) => r.thumb)) {
    assert.ok(isImage(fs.readFileSync(p.device.real(row.thumb))), 'the cover downloaded with the token')
  }

  const covers = () => p.device.seen.calls.filter((c) => c.kind === 'downloadFile').length
  const before = covers()
  await page.call('onShow') // back from another tab: read again, covers not downloaded again
  assert.equal(lists(), 2)
  assert.equal(covers(), before)
  assert.equal(page.count('.thumb'), 2)

  await page.tap('.shared .album', 0)
  assert.deepEqual(p.device.seen.navigations, [`/pages/album/album?id=${encodeURIComponent(shared)}`])
  const opened = await p.open('album', { query: { id: encodeURIComponent(shared) } })
  assert.equal(opened.count('.tile'), 2)
  assert.equal(opened.text('.head'), `2 张照片 · 来自 ${bob.username}`)
  assert.deepEqual(p.device.seen.titles, ['Bob trip'])

  // A contributor takes out only their own photos: the owner's stay, and the page says why.
  p.device.script.actionSheetTaps.push(1)
  await opened.longpress('.tile', 0)
  assert.deepEqual(p.device.seen.actionSheets.at(-1), ['分享给朋友', '移出相簿'])
  assert.equal(p.lastModal().content, '你只能移出自己加入的照片。')
  assert.equal(opened.count('.tile'), 2)
  assert.equal((await call(bob.token, 'GET', `/api/v2/albums/${shared}`)).body.items.length, 2)
})

test('an album shows its photos a page at a time; a tap previews it full size, swiping to the others', async () => {
  const { p, token, ids } = await withPhotos(5, 'open')
  const id = await album(token, 'Five', ids)
  p.gallery.settings.pageSize = 2
  const page = await p.open('album', { query: { id } })
  assert.equal(page.count('.tile'), 2)
  await page.call('onReachBottom')
  await page.call('onReachBottom')
  assert.equal(page.count('.tile'), 5)
  assert.equal(page.data.end, true)
  assert.ok(page.setDataLog.every((patch) => !('groups' in patch) || patch.groups.length === 0), 'groups are appended by path')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await waitThumbs(page, 5)
  const thumbs = p.device.seen.calls.filter((c) => c.kind === 'downloadFile' && c.url.includes('/thumbnail'))
  assert.ok(thumbs.every((c) => c.url.includes(`/api/v2/albums/${id}/photos/`)), 'through the album\'s own URLs')

  await page.tap('.tile', 3)
  const shown = p.device.seen.previews.at(-1)
  assert.ok(isImage(fs.readFileSync(p.device.real(shown.current))))
  assert.equal(shown.urls.length, 5)
  assert.equal(shown.urls[3], shown.current)
})

test('a long album is virtual: groups far from the screen are emptied, and filled again near it', async () => {
  const { p, token, ids } = await withPhotos(12, 'virtual')
  const id = await album(token, 'Long', ids)
  p.gallery.settings.pageSize = 4 // one row of 4 per group
  p.device.state.window = { ...p.device.state.window, windowWidth: 400, windowHeight: 100 }
  const page = await p.open('album', { query: { id } })
  await page.call('onReachBottom')
  await page.call('onReachBottom')
  assert.deepEqual(page.data.groups.map((group) => group.height), [100, 100, 100])
  await waitThumbs(page, 12)

  await page.call('virtualise', 1000) // scrolled far down: every group is far
  assert.equal(page.count('.tile'), 0)
  assert.deepEqual(page.data.groups.map((group) => group.items.length), [0, 0, 0])
  assert.equal(page.count('.grid'), 3, 'the empty groups keep their place')

  await page.call('onPageScroll', { scrollTop: 0 }) // back at the top
  assert.equal(page.count('.tile'), 12)
  assert.equal(page.count('.thumb'), 12, 'with their thumbnails')
  await page.tap('.tile', 11)
  assert.equal(p.device.seen.previews.at(-1).urls.length, 12)
})

/** Wait until `n` tiles show their thumbnail. */
async function waitThumbs (page, n) {
  const deadline = Date.now() + 10000
  while (page.count('.thumb') < n) {
    if (Date.now() > deadline) throw new Error(`${page.count('.thumb')} thumbnails of ${n}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

test('create, rename and delete an album from the albums page (each asks first)', async () => {
  const { p, token } = await withPhotos(0, 'create')
  const page = await p.open('albums')
  assert.match(page.text('.mine'), /还没有相簿/)

  p.device.script.modalAnswers.push(false) // typed, then cancelled: nothing made
  p.device.script.modalInputs.push('Not this')
  await page.tap('.create')
  p.device.script.modalInputs.push('   ') // empty: nothing made
  await page.tap('.create')
  assert.deepEqual(await albumNames(token), [])

  p.device.script.modalInputs.push('  Wedding ')
  await page.tap('.create')
  assert.ok(p.lastModal().editable)
  assert.deepEqual(await albumNames(token), ['Wedding'])
  assert.deepEqual(page.texts('.mine .name'), ['Wedding'])

  p.device.script.actionSheetTaps.push(0)
  p.device.script.modalInputs.push('Our wedding')
  await page.longpress('.mine .album', 0)
  assert.equal(p.lastModal().content, 'Wedding', 'the old name to edit')
  assert.deepEqual(await albumNames(token), ['Our wedding'], 'renamed through POST + X-HTTP-Method-Override: PATCH')
  assert.deepEqual(page.texts('.mine .name'), ['Our wedding'])
  const renames = p.device.seen.calls.filter((c) => c.kind === 'request' && c.method === 'POST' && /albums\/[^/]+$/.test(c.url))
  assert.equal(renames.length, 1)

  p.device.script.actionSheetTaps.push(1)
  p.device.script.modalAnswers.push(false)
  await page.longpress('.mine .album', 0)
  assert.deepEqual(await albumNames(token), ['Our wedding'], 'not deleted without a yes')
  p.device.script.actionSheetTaps.push(1)
  await page.longpress('.mine .album', 0)
  assert.ok(p.lastModal().confirmText.length <= 4)
  assert.deepEqual(await albumNames(token), [])
  assert.equal(page.count('.mine .album'), 0)
})

test('加入相簿 from the photos page: pick an album or make one; the albums page shows it', async () => {
  const { p, token, ids } = await withPhotos(2, 'add')
  const albums = await p.open('albums')
  const existing = await album(token, 'Existing')
  const photos = await p.open('photos')
  const indexOf = (id) => p.gallery.shown(photos.instance).findIndex((t) => t.id === id)

  p.device.script.actionSheetTaps.push(3, 0) // 加入相簿, then the first album
  await photos.longpress('.tile', indexOf(ids[0]))
  assert.deepEqual(p.device.seen.actionSheets.at(-2), ['保存到相册', '删除', '分享给朋友', '加入相簿'])
  assert.deepEqual(p.device.seen.actionSheets.at(-1), ['Existing', '新建相簿…'])
  assert.equal(p.device.seen.toasts.at(-1).title, '已加入相簿')
  const detail = (await call(token, 'GET', `/api/v2/albums/${existing}`)).body
  assert.deepEqual(detail.items.map((item) => item.id), [ids[0]])
  assert.equal(detail.cover, ids[0], 'the first photo added became the cover')

  p.device.script.actionSheetTaps.push(3, 1) // 加入相簿, then 新建相簿…
  p.device.script.modalInputs.push('Fresh')
  await photos.longpress('.tile', indexOf(ids[1]))
  const listed = (await call(token, 'GET', '/api/v2/albums')).body.items
  assert.deepEqual(listed.map((a) => [a.name, a.count]).sort(), [['Existing', 1], ['Fresh', 1]])

  await albums.call('onShow') // albums changed: read again
  assert.deepEqual(albums.texts('.mine .name'), ['Fresh', 'Existing'])
  assert.deepEqual(albums.texts('.mine .count'), ['1 张', '1 张'])
})

test('the album picker keeps to 6 items a sheet, and lists only albums the person may add to', async () => {
  const viewer = await otherUser('viewer-owner')
  const { p, token, ids, username } = await withPhotos(1, 'many')
  for (let i = 1; i <= 6; i++) await album(token, `A${i}`)
  const readOnly = await album(viewer.token, 'Read only')
  await call(viewer.token, 'POST', `/api/v2/albums/${readOnly}/members`, { username, role: 'viewer' })
  const photos = await p.open('photos')
  p.device.script.actionSheetTaps.push(3, 4, 0) // 加入相簿, 更多…, the first of the next sheet
  await photos.longpress('.tile', 0)
  const sheets = p.device.seen.actionSheets.slice(-2)
  assert.deepEqual(sheets[0], ['A6', 'A5', 'A4', 'A3', '更多…', '新建相簿…'])
  assert.deepEqual(sheets[1], ['A2', 'A1', '新建相簿…'], 'no viewer-only album')
  const a2 = (await call(token, 'GET', '/api/v2/albums')).body.items.find((a) => a.name === 'A2')
  assert.equal(a2.count, 1)
  assert.equal((await call(token, 'GET', `/api/v2/albums/${a2.id}`)).body.items[0].id, ids[0])
})

test('分享给朋友: the preview is downloaded with the token, then WeChat\'s image menu gets the local file', async () => {
  const { p, token, ids } = await withPhotos(1, 'share')
  const photos = await p.open('photos')
  p.device.script.actionSheetTaps.push(2)
  await photos.longpress('.tile', 0)
  const shared = p.device.seen.shares.at(-1)
  assert.ok(shared, 'the share menu was shown')
  assert.ok(shared.bytes[0] === 0xff && shared.bytes[1] === 0xd8, 'a JPEG')
  const preview = await fetch(`${env.server.url}/api/v2/photos/${ids[0]}/preview`, { headers: { Authorization: `Bearer ${token}` } })
  assert.deepEqual(shared.bytes, Buffer.from(await preview.arrayBuffer()), 'the server\'s preview, byte for byte')
  assert.equal(p.device.seen.modals.length, 0)

  // Closing the menu is no error.
  p.device.script.shareAnswer = 'cancel'
  p.device.script.actionSheetTaps.push(2)
  await photos.longpress('.tile', 0)
  assert.equal(p.device.seen.shares.length, 2)
  assert.equal(p.device.seen.modals.length, 0)
  assert.equal(p.device.seen.calls.filter((c) => c.kind === 'downloadFile' && c.url.includes('/preview')).length, 1, 'downloaded once')
})

test('share from a shared album (as a viewer: no 移出相簿); the device refuses a URL or the entrance', async () => {
  const owner = await otherUser('share-owner')
  const theirs = await upload(owner.token, [jpeg('theirs')])
  const { p, username } = await withPhotos(0, 'viewer')
  const id = await album(owner.token, 'Look', theirs)
  await call(owner.token, 'POST', `/api/v2/albums/${id}/members`, { username, role: 'viewer' })
  const page = await p.open('album', { query: { id } })
  p.device.script.actionSheetTaps.push(0)
  await page.longpress('.tile', 0)
  assert.deepEqual(p.device.seen.actionSheets.at(-1), ['分享给朋友'])
  assert.equal(p.device.seen.shares.length, 1)
  assert.equal(page.text('.hint'), '轻触查看大图，长按分享。')

  // The fake is as strict as the device: a URL, or the default entrance, fails.
  const fails = []
  p.device.wx.showShareImageMenu({ path: `${env.server.url}/x.jpg`, needShowEntrance: false, fail: (e) => fails.push(e.errMsg) })
  p.device.wx.showShareImageMenu({ path: p.device.seen.shares[0].path, fail: (e) => fails.push(e.errMsg) })
  await new Promise((resolve) => setImmediate(resolve))
  assert.match(fails[0], /^showShareImageMenu:fail invalid path/)
  assert.equal(fails[1], 'showShareImageMenu:fail forbidden')
})

test('a network error is a toast, not a modal; pulling down loads the albums again', async () => {
  const { p, token } = await withPhotos(0, 'offline')
  await album(token, 'Kept')
  await p.token()
  p.device.setOnline(false)
  const page = await p.open('albums')
  assert.equal(page.count('.album'), 0)
  assert.equal(p.device.seen.modals.length, 0)
  assert.equal(p.device.seen.toasts.at(-1).title, '网络不可用，请稍后重试')
  assert.equal(p.device.seen.toasts.at(-1).icon, 'none')
  p.device.setOnline(true)
  await page.call('onPullDownRefresh')
  assert.deepEqual(page.texts('.mine .name'), ['Kept'])
  assert.equal(p.device.seen.pullDownStops, 1)
})

test('a share that cannot download, offline, is a toast; a photo gone from the server is a modal', async () => {
  const { p, token, ids } = await withPhotos(2, 'sharefail')
  const photos = await p.open('photos')
  p.device.setOnline(false)
  p.device.script.actionSheetTaps.push(2)
  await photos.longpress('.tile', 0)
  assert.equal(p.device.seen.shares.length, 0)
  assert.equal(p.device.seen.toasts.at(-1).title, '网络不可用，请稍后重试')
  assert.equal(p.device.seen.modals.length, 0)
  p.device.setOnline(true)

  const gone = p.gallery.shown(photos.instance)[1].id
  await call(token, 'DELETE', `/api/v2/photos/${gone}`)
  await call(token, 'DELETE', `/api/v2/trash/${gone}`)
  p.device.script.actionSheetTaps.push(2)
  await photos.longpress('.tile', 1)
  assert.equal(p.device.seen.shares.length, 0)
  assert.ok(p.lastModal().content.startsWith(p.api.MESSAGES[404]), p.lastModal().content)
  assert.ok(ids.includes(gone))
})

test('an album deleted (or no longer shared) says so on the album page, and the list reloads', async () => {
  const { p, token } = await withPhotos(0, 'gone')
  const id = await album(token, 'Soon gone')
  const albums = await p.open('albums')
  assert.deepEqual(albums.texts('.mine .name'), ['Soon gone'])
  await call(token, 'DELETE', `/api/v2/albums/${id}`)
  const page = await p.open('album', { query: { id } })
  assert.equal(p.lastModal().content, '相簿不存在，或已不再与你共享。')
  assert.equal(page.text('.missing'), '相簿不存在，或已不再与你共享')
  assert.equal(page.count('.tile'), 0)
  await albums.call('onShow')
  assert.equal(albums.count('.album'), 0)

  // Adding to an album deleted meanwhile: the same words.
  await upload(token, [jpeg('gone-photo')])
  const other = await album(token, 'Also gone')
  const photos = await p.open('photos')
  p.device.script.requestGate = (url) => {
    if (!url.endsWith('/api/v2/albums')) return null
    return call(token, 'DELETE', `/api/v2/albums/${other}`).then(() => undefined)
  }
  p.device.script.actionSheetTaps.push(3, 0)
  await photos.longpress('.tile', 0)
  p.device.script.requestGate = null
  assert.equal(p.lastModal().title, '未能加入相簿')
  assert.equal(p.lastModal().content, '相簿不存在，或已不再与你共享。')
})

test('take a photo out of an album: the owner can; it stays in the library', async () => {
  const { p, token, ids } = await withPhotos(2, 'takeout')
  const id = await album(token, 'Two', ids)
  const page = await p.open('album', { query: { id } })
  p.device.script.actionSheetTaps.push(1)
  await page.longpress('.tile', 0)
  assert.deepEqual(p.device.seen.actionSheets.at(-1), ['分享给朋友', '移出相簿'])
  assert.equal(page.count('.tile'), 1)
  assert.equal(page.text('.count'), '1 张照片')
  assert.equal((await call(token, 'GET', `/api/v2/albums/${id}`)).body.items.length, 1)
  assert.equal((await call(token, 'GET', '/api/v2/photos')).body.items.length, 2)
})
