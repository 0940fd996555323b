// Backups cut short, as on a phone: the app goes to the background mid-upload, the network goes
// away, a call times out, the domain is not whitelisted, more than 10 calls at once.
'use strict'
const assert = require('node:assert/strict')
const net = require('node:net')
const { test } = require('node:test')

const { useServer, phone, jpeg, gate, waitFor } = require('./common.js')
const { MAX_IN_FLIGHT } = require('./fake-wx.js')

useServer()
const uploadsOf = (p) => p.device.seen.calls.filter((c) => c.kind === 'uploadFile').length
/** Holds the first upload until the gate opens; later ones go through. */
const holdFirst = (held) => { let first = true; return () => first ? ((first = false), held.wait()) : Promise.resolve() }

test('back from the background while busy: the interrupted upload resumes when the run ends', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.choose(page, [jpeg('interrupted')])
  const held = gate()
  p.device.script.uploadGate = holdFirst(held)
  const run = page.tap('.start')
  await waitFor(() => page.data.items[0].status === 'uploading', 'the upload')
  // To the background and back before WeChat fails the call: onShow finds the page busy.
  p.device.hide()
  await p.device.show()
  assert.equal(page.data.busy, true)
  await run // the call failed `interrupted` a moment later
  await waitFor(() => page.data.items[0].status === 'done', 'the resumed upload')
  const item = page.data.items[0]
  assert.equal(item.attempts, 2)
  assert.equal(uploadsOf(p), 2)
  assert.equal(p.device.seen.modals.length, 0, 'no "未能备份" for a photo that resumed by itself')
  held.open()
})

test('interrupted in the background: App.onShow resumes, not before', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.choose(page, [jpeg('background')])
  const held = gate()
  p.device.script.uploadGate = holdFirst(held)
  const run = page.tap('.start')
  await waitFor(() => page.data.items[0].status === 'uploading', 'the upload')
  p.device.hide()
  await run
  assert.equal(page.data.items[0].status, 'failed')
  assert.equal(page.data.items[0].kind, 'interrupted')
  assert.match(page.data.items[0].message, /uploadFile:fail interrupted/, 'errMsg is kept')
  assert.equal(uploadsOf(p), 1, 'no retry while in the background')
  // The App's onShow (not the page's: another tab may be shown) resumes it.
  await p.device.show({ page: false })
  await waitFor(() => page.data.items[0].status === 'done', 'the resumed upload')
  assert.equal(p.device.seen.modals.length, 0)
  held.open()
})

test('a page built again with an upload marked running resumes it in onShow', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.choose(page, [jpeg('rebuilt')])
  const saved = p.device.wx.getStorageSync(p.queue.QUEUE_KEY)
  saved[0].status = 'uploading'
  p.device.wx.setStorageSync(p.queue.QUEUE_KEY, saved)
  const again = await p.open('backup')
  await waitFor(() => !again.data.busy && again.data.items[0].status === 'done', 'the resumed upload')

  // Cut short on its last attempt: failed, and the button offers it again (not stuck "上传中").
  await p.choose(again, [jpeg('rebuilt-last')])
  const last = p.device.wx.getStorageSync(p.queue.QUEUE_KEY)
  Object.assign(last[1], { status: 'uploading', attempts: 3 })
  p.device.wx.setStorageSync(p.queue.QUEUE_KEY, last)
  const third = await p.open('backup')
  assert.equal(third.data.items[1].status, 'failed')
  assert.equal(third.text('.start'), '备份 1 张照片')
  assert.equal(p.device.seen.calls.filter((c) => c.kind === 'uploadFile').length, 1)
})

test('no network: told once with the errMsg, no modal per onShow, resumed when the network returns', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.token()
  await p.choose(page, [jpeg('offline')])
  p.device.setOnline(false)
  await page.tap('.start')
  const item = page.data.items[0]
  assert.equal(item.status, 'failed')
  assert.equal(item.kind, 'network')
  assert.equal(item.message, `${p.api.NETWORK_MESSAGES.network}（request:fail -106:net::ERR_INTERNET_DISCONNECTED）`)
  assert.equal(p.device.seen.modals.length, 1)
  assert.match(page.text('.notice'), /自动继续/)
  // Each onShow may try again (bounded), but says nothing new.
  await p.device.show()
  await waitFor(() => !page.data.busy, 'the run')
  assert.equal(p.device.seen.modals.length, 1)
  p.device.setOnline(true)
  await waitFor(() => page.data.items[0].status === 'done', 'the upload after the network returned')
  assert.equal(p.device.seen.modals.length, 1)
})

test('retries are bounded: after 3 attempts the photo stays failed until the person taps', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.token()
  await p.choose(page, [jpeg('bounded')])
  p.device.script.uploadGate = () => new Promise(() => {}) // never gets through
  for (let i = 0; i < 5; i++) {
    const run = i === 0 ? page.tap('.start') : p.device.show()
    await waitFor(() => page.data.busy || page.data.items[0].attempts >= 3, 'a run')
    if (!page.data.busy) break
    await waitFor(() => page.data.items[0].status === 'uploading', 'the upload')
    p.device.hide()
    await run
    await waitFor(() => !page.data.busy, 'the end of the run')
  }
  assert.equal(page.data.items[0].attempts, 3)
  assert.equal(uploadsOf(p), 3)
  await p.device.show()
  assert.equal(uploadsOf(p), 3, 'no fourth attempt by itself')
  assert.equal(p.device.seen.modals.length, 0)
  p.device.script.uploadGate = null
  await page.tap('.start')
  assert.equal(page.data.items[0].status, 'done')
})

test('an interruption before the upload (asking the server) counts as an attempt too', async () => {
  const p = phone()
  const page = await p.open('backup')
  await p.token()
  await p.choose(page, [jpeg('bounded-check')])
  const checks = () => p.device.seen.calls.filter((c) => c.url.endsWith('/api/v2/photos/check')).length
  // The server's answer to the check never gets back before the app goes to the background.
  p.device.script.requestGate = (url) => url.endsWith('/check') ? new Promise(() => {}) : null
  for (let i = 0; i < 5; i++) {
    const before = checks()
    const run = i === 0 ? page.tap('.start') : p.device.show()
    await waitFor(() => checks() > before || (!page.data.busy && page.data.items[0].attempts >= 3), 'a run')
    if (checks() === before) break
    p.device.hide()
    await run
    await waitFor(() => !page.data.busy, 'the end of the run')
  }
  assert.equal(checks(), 3)
  assert.equal(page.data.items[0].kind, 'interrupted')
  assert.equal(uploadsOf(p), 0)
})

test('a timeout is told apart from no network, with its errMsg', async () => {
  // A server that takes the connection and never answers.
  const sockets = []
  const silent = net.createServer((socket) => sockets.push(socket))
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve))
  try {
    const p = phone()
    await p.token()
    p.app.globalData.serverUrl = `http://127.0.0.1:${silent.address().port}`
    p.device.state.networkTimeout.request = 150
    const page = await p.open('backup')
    await p.choose(page, [jpeg('timeout')])
    await page.tap('.start')
    const item = page.data.items[0]
    assert.equal(item.kind, 'timeout')
    assert.equal(item.message, `${p.api.NETWORK_MESSAGES.timeout}（request:fail timeout）`)
    assert.equal(p.lastModal().content, item.message)
  } finally {
    for (const socket of sockets) socket.destroy()
    silent.close()
  }
})

test('a domain missing from the whitelist is said so, and not retried by itself', async () => {
  const p = phone()
  p.device.state.domainList = ['https://photos.example.com']
  const page = await p.open('backup')
  await p.choose(page, [jpeg('domain')])
  await page.tap('.start')
  const item = page.data.items[0]
  assert.equal(item.kind, 'domain')
  assert.match(item.message, /合法域名.*（request:fail url not in domain list）/)
  assert.equal(item.interrupted, false)
  const calls = p.device.seen.calls.length
  await p.device.show()
  assert.equal(p.device.seen.calls.length, calls, 'no retry: it cannot work until the console changes')
})

test('never more than 10 calls in flight: a burst of 25 requests all succeed', async () => {
  const p = phone()
  await p.token()
  const answers = await Promise.all(Array.from({ length: 25 }, () => p.api.request('/api/v2/photos?limit=1')))
  assert.equal(answers.length, 25)
  assert.equal(p.device.seen.maxInFlight, MAX_IN_FLIGHT)
  // The device itself refuses an 11th call (what the module's limit is for).
  const held = gate()
  p.device.script.uploadGate = held.wait
  const fails = []
  for (let i = 0; i < MAX_IN_FLIGHT + 1; i++) {
    p.device.wx.uploadFile({ url: `${p.app.globalData.serverUrl}/api/v1.0/service/image/`, filePath: 'http://tmp/none', name: 'photo', fail: (res) => fails.push(res.errMsg) })
  }
  await waitFor(() => fails.length === MAX_IN_FLIGHT + 1, 'every call to fail')
  assert.ok(fails.includes('uploadFile:fail exceed max task count'), fails.join())
  held.open()
})
