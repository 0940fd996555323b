// Videos and large files: chosen with photos, uploaded in resumable chunks (tus over wx.request,
// lib/chunked.js) against a real `imgbackup serve`, and continued from the server's offset after
// the app was in the background or closed. Chunks are tiny here so that a small video has many.
'use strict'
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { test } = require('node:test')

const { useServer, phone, jpeg, video, md5, gate, waitFor } = require('./common.js')

const env = useServer()
const { REPO } = require('./harness.js')
const CHUNK = 2048
const patches = (p) => p.device.seen.requests.filter((r) => r.method === 'POST' &&
  r.header['x-http-method-override'] === 'PATCH')
const offsets = (p) => patches(p).map((r) => Number(r.header['upload-offset']))
const stored = (p) => p.device.wx.getStorageSync(p.chunked.UPLOADS_KEY) || {}

/** A phone whose chunks are CHUNK bytes. */
function chunkedPhone (name) {
  const p = phone(name)
  p.chunked.settings.chunkSize = CHUNK
  return p
}

/** The server's copy of the photo or video with this MD5, and its bytes. */
async function kept (p, hash) {
  const list = await p.server('/api/v2/photos?limit=200')
  const item = list.body.items.find((photo) => photo.md5 === hash)
  if (!item) return null
  const original = await p.server(item.urls.original)
  return { item, bytes: Buffer.from(original.body) }
}

/**
 * Hold the answer to the `n`th chunk (the server has taken it) until `held` opens; resolves
 * when the server has answered it.
 */
function holdChunk (p, n, held) {
  let answered
  const reached = new Promise((resolve) => { answered = resolve })
  let once = false
  p.device.script.requestGate = (url, opts) => {
    const patch = opts.header && opts.header['x-http-method-override'] === 'PATCH'
    if (!patch || once || opts.header['upload-offset'] !== String((n - 1) * CHUNK)) return null
    once = true
    answered()
    return held.wait()
  }
  return reached
}

test('a video is chosen with photos, shows its duration, goes in chunks read a slice at a time, and is kept byte for byte', async () => {
  const p = chunkedPhone('video')
  const page = await p.open('backup')
  const clip = video('clip', { seed: 1 })
  const size = fs.statSync(clip).size
  await p.choose(page, [jpeg('beside-the-video'), clip])
  assert.deepEqual(page.data.items.map((item) => item.fileType), ['image', 'video'])
  assert.equal(page.text('.duration'), '▶ 0:03', 'the device says 3.2 s')
  await page.tap('.weui-uploader__file', 1)
  assert.equal(p.device.seen.previews.at(-1).sources[1].type, 'video')

  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the run')
  assert.deepEqual(page.data.items.map((item) => item.status), ['done', 'done'])
  assert.equal(p.device.seen.uploads.length, 1, 'the photo alone went in one multipart request')
  const chunks = Math.ceil(size / CHUNK)
  assert.ok(chunks >= 3, `a video of ${size} bytes makes several chunks`)
  assert.deepEqual(offsets(p), Array.from({ length: chunks }, (_, i) => i * CHUNK))
  const reads = p.device.seen.reads.filter((r) => r.filePath === page.data.items[1].path)
  assert.ok(reads.every((r) => r.length <= CHUNK), 'never more than a chunk in memory')
  assert.deepEqual(patches(p).map((r) => r.bytes), reads.map((r) => r.length), 'each chunk sent as bytes (an ArrayBuffer)')

  const server = await kept(p, md5(clip))
  assert.ok(server, 'the video is on the server')
  assert.equal(server.item.media_type, 'video', 'told from its bytes: nothing sent a type')
  assert.ok(server.bytes.equals(fs.readFileSync(clip)), 'byte for byte')
  assert.deepEqual(stored(p), {}, 'a finished upload is forgotten')
  // One the server has removed by now (Upload-Expires passed) is dropped when storage is read.
  p.device.wx.setStorageSync(p.chunked.UPLOADS_KEY, { old: { url: '/api/v2/uploads/x', size: 1, offset: 0, expires: Date.now() - 1 } })

  // Chosen again: the device MD5 says the server has it; not a byte is sent.
  await p.choose(page, [clip])
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the second run')
  assert.equal(page.data.items.at(-1).status, 'skipped')
  assert.equal(patches(p).length, chunks)
  await p.choose(page, [video('clip-2', { seed: 7 })])
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the third run')
  assert.equal(page.data.items.at(-1).status, 'done')
  assert.deepEqual(stored(p), {}, 'the expired entry is gone')
})

test('cut short in the background mid-video, it goes on from the server\'s offset when the app is back', async () => {
  const p = chunkedPhone('background-video')
  const page = await p.open('backup')
  const clip = video('background', { seed: 2 })
  await p.choose(page, [clip])
  const held = gate()
  const third = holdChunk(p, 3, held) // the server has 3 chunks; the phone never hears of the third
  const run = page.tap('.start')
  await third
  p.device.hide()
  await run
  const item = page.data.items[0]
  assert.equal(item.status, 'failed')
  assert.equal(item.kind, 'interrupted')
  assert.match(item.message, /request:fail interrupted/)
  const remembered = Object.values(stored(p))
  assert.equal(remembered.length, 1, 'the upload URL is kept in storage')
  assert.equal(remembered[0].offset, 2 * CHUNK, 'as far as the phone heard')
  assert.ok(remembered[0].expires > Date.now(), 'until the server removes it (Upload-Expires)')
  assert.equal(item.attempts, 0, 'an attempt that moved the upload forward is not counted')

  await p.device.show()
  await waitFor(() => page.data.items[0].status === 'done', 'the resumed upload')
  const sent = offsets(p)
  assert.deepEqual(sent.slice(0, 4), [0, CHUNK, 2 * CHUNK, 3 * CHUNK],
    'after a HEAD, from where the server stopped: the third chunk is not sent again')
  assert.equal(new Set(sent).size, sent.length, 'no chunk sent twice')
  assert.equal(p.device.seen.requests.filter((r) => r.method === 'HEAD').length, 1)
  assert.ok((await kept(p, md5(clip))).bytes.equals(fs.readFileSync(clip)))
  assert.equal(p.device.seen.modals.length, 0, 'no "未能备份" for a video that resumed by itself')
  held.open()
})

test('closed mid-video and its temp file gone: choosing it again goes on where it stopped', async () => {
  const p = chunkedPhone('restart-video')
  let page = await p.open('backup')
  const clip = video('restart', { seed: 3 })
  await p.choose(page, [clip])
  const held = gate()
  const third = holdChunk(p, 3, held)
  const run = page.tap('.start')
  await third
  p.device.hide()
  await run

  p.restart()
  p.chunked.settings.chunkSize = CHUNK
  page = await p.open('backup')
  await waitFor(() => !page.data.busy && page.data.items[0].status === 'failed' && page.data.items[0].kind !== 'interrupted',
    'the old temp file found gone')
  assert.match(page.data.items[0].message, /文件已失效/)
  const before = patches(p).length
  await p.choose(page, [clip])
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the run')
  assert.equal(page.data.items[1].status, 'done')
  assert.equal(offsets(p)[before], 3 * CHUNK, 'the first chunk after the restart starts at the server\'s offset')
  assert.ok((await kept(p, md5(clip))).bytes.equals(fs.readFileSync(clip)), 'byte for byte')
  held.open()
})

test('a chunk damaged on the way is refused by its checksum and sent again, alone', async () => {
  const p = chunkedPhone('corrupt-chunk')
  const page = await p.open('backup')
  const clip = video('corrupt', { seed: 4 })
  await p.choose(page, [clip])
  let changed = 0
  p.device.script.alterRequest = (opts, bytes) => {
    if (opts.header['upload-offset'] !== String(CHUNK) || changed++) return bytes
    const copy = Buffer.from(bytes)
    copy[10] ^= 0xff
    return copy
  }
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the run')
  assert.equal(page.data.items[0].status, 'done', 'in the same run')
  const sent = offsets(p)
  assert.deepEqual(sent.slice(0, 3), [0, CHUNK, CHUNK], 'the damaged chunk once more, nothing before it')
  assert.equal(sent.length, Math.ceil(fs.statSync(clip).size / CHUNK) + 1)
  assert.ok(patches(p).every((r) => /^md5 [A-Za-z0-9+/]{22}==$/.test(r.header['upload-checksum'])))
  assert.ok((await kept(p, md5(clip))).bytes.equals(fs.readFileSync(clip)), 'byte for byte')
})

test('a file changed on the phone mid-upload: the whole-file MD5 differs, nothing is kept', async () => {
  const p = chunkedPhone('changed-file')
  const page = await p.open('backup')
  const clip = video('changed', { seed: 6 })
  await p.choose(page, [clip])
  const onPhone = p.device.real(page.data.items[0].path)
  const before = md5(onPhone)
  p.device.script.alterRequest = (opts, bytes) => {
    if (opts.header['upload-offset'] === '0') {
      // Hashed before the upload, edited during it: later chunks read the new bytes.
      const now = fs.readFileSync(onPhone)
      now[CHUNK + 10] ^= 0xff
      fs.writeFileSync(onPhone, now)
    }
    return bytes
  }
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the run')
  assert.equal(page.data.items[0].status, 'failed')
  assert.match(page.data.items[0].message, /不一致/, 'the server says the MD5 does not match')
  assert.equal(await kept(p, before), null, 'nothing kept')
  assert.equal(await kept(p, md5(onPhone)), null)
  assert.deepEqual(stored(p), {}, 'the refused upload is forgotten')

  p.device.script.alterRequest = null
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the second run')
  assert.equal(page.data.items[0].status, 'done')
  assert.ok((await kept(p, md5(onPhone))).bytes.equals(fs.readFileSync(onPhone)), 'the file as it is now')
})

test('a photo above the threshold goes in chunks too', async () => {
  const p = chunkedPhone('large-photo')
  p.chunked.settings.threshold = 600
  p.chunked.settings.chunkSize = 512
  const page = await p.open('backup')
  const photo = jpeg('large')
  assert.ok(fs.statSync(photo).size > 600)
  await p.choose(page, [photo])
  await page.tap('.start')
  await waitFor(() => !page.data.busy, 'the run')
  assert.equal(page.data.items[0].status, 'done')
  assert.equal(p.device.seen.uploads.length, 0, 'no multipart upload')
  assert.equal(patches(p).length, Math.ceil(fs.statSync(photo).size / 512))
  const server = await kept(p, md5(photo))
  assert.equal(server.item.media_type, 'photo')
  assert.ok(server.bytes.equals(fs.readFileSync(photo)))
})

test('Upload-Metadata values are base64 of UTF-8, names in Chinese too; chunk MD5s are MD5s', () => {
  const p = phone('base64')
  for (const text of ['', 'a', 'ab', 'abc', 'VID_2024.mp4', '视频 1.mov', '63cee0a9a01b7ba80b9f2f39ec1f748e']) {
    assert.equal(p.chunked.base64(text), Buffer.from(text).toString('base64'), text)
  }
  const { md5: md5Of } = require('../../../miniprogram/lib/md5.js')
  for (const n of [0, 1, 3, 4, 55, 56, 63, 64, 65, 1000, 65537]) {
    const bytes = crypto.randomBytes(n)
    const mine = Buffer.from(md5Of(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n))).toString('hex')
    assert.equal(mine, crypto.createHash('md5').update(bytes).digest('hex'), `${n} bytes`)
  }
})

test('the fake device is strict: readFile slices in range only, and only an ArrayBuffer is sent as bytes', async () => {
  const p = phone('strict')
  const page = await p.open('backup')
  await p.choose(page, [jpeg('strict')])
  const filePath = page.data.items[0].path
  const size = page.data.items[0].size
  const fsm = p.device.wx.getFileSystemManager()
  const read = (opts) => new Promise((resolve) => fsm.readFile({ filePath, ...opts, success: resolve, fail: resolve }))
  const slice = await read({ position: 2, length: 4 })
  assert.ok(slice.data instanceof ArrayBuffer)
  assert.equal(slice.data.byteLength, 4)
  assert.match((await read({ position: size - 2, length: 4 })).errMsg, /readFile:fail .*length.* out of range/)
  assert.match((await read({ position: size + 1, length: 0 })).errMsg, /readFile:fail .*position.* out of range/)
  assert.match((await new Promise((resolve) => fsm.readFile({ filePath: 'http://tmp/none.mp4', fail: resolve }))).errMsg,
    /readFile:fail no such file/)
  const res = await new Promise((resolve) => p.device.wx.request({
    url: 'http://127.0.0.1:9/', method: 'POST', data: Buffer.from([1, 2, 3]), header: {}, success: resolve, fail: resolve
  }))
  assert.ok(res.errMsg)
  assert.equal(p.device.seen.requests.at(-1).bytes, JSON.stringify(Buffer.from([1, 2, 3])).length,
    'a Buffer is serialised as an object, as on the device')
})

test('an upload a crashed server still holds (its lease, until it lapses) is said so, not "no network", and retried', async () => {
  const p = chunkedPhone('lease')
  const file = video('lease', { seed: 31 })
  const page = await p.open('backup')
  await p.choose(page, [file])
  const held = gate()
  const reached = holdChunk(p, 2, held)
  const run = page.tap('.start')
  await reached
  // What a server killed mid-chunk leaves behind: the upload's lease, held for a minute more.
  const { execFileSync } = require('node:child_process')
  const path = require('node:path')
  execFileSync(path.join(REPO, '.venv', 'bin', 'imgbackup'), ['shell', '-c',
    'from datetime import timedelta; from django.utils import timezone; ' +
    'from imgbackup.photos.models import ResumableUpload; ' +
    "ResumableUpload.objects.update(lease='a-crashed-request', lease_until=timezone.now() + timedelta(minutes=5))"],
  { env: { ...process.env, IMGBACKUP_DATA_DIR: path.join(env.tmp, 'data') } })
  held.open()
  await run
  const [item] = page.data.items
  assert.equal(item.status, 'failed')
  assert.equal(item.kind, 'busy')
  assert.ok(item.message.startsWith(p.api.NETWORK_MESSAGES.busy), item.message)
  assert.equal(p.api.retryable(new p.api.ApiError('x', 0, 'busy')), true, 'retried by itself later')
})
