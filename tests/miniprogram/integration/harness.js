// The real server, a stand-in for WeChat's jscode2session, and the mini program's real code
// loaded into Node: App() is captured; pages are rendered by miniprogram-simulate.
'use strict'
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { spawn } = require('node:child_process')

const REPO = path.resolve(__dirname, '../../..')
const MINIPROGRAM = path.join(REPO, 'miniprogram')
const IMGBACKUP = path.join(REPO, '.venv', 'bin', 'imgbackup')

function freePort () {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** WeChat's jscode2session, on loopback: `ok-<openid>` logs in as openid, anything else is 40029. */
async function startCode2Session () {
  const calls = []
  const server = http.createServer((req, res) => {
    const query = new URL(req.url, 'http://localhost').searchParams
    calls.push(Object.fromEntries(query))
    const code = query.get('js_code') || ''
    const body = code.startsWith('ok-')
      ? { openid: code.slice(3), session_key: `secret-session-key-${calls.length}` }
      : { errcode: 40029, errmsg: 'invalid code' }
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.end(JSON.stringify(body))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/sns/jscode2session`
  return { url, calls, stop: () => new Promise((resolve) => server.close(resolve)) }
}

/** `imgbackup serve` on a free loopback port with its own data folder. */
async function startServer (dataDir, env) {
  if (!fs.existsSync(IMGBACKUP)) {
    throw new Error(`${IMGBACKUP} is missing: run 'make install-test' first`)
  }
  const port = await freePort()
  const log = fs.openSync(path.join(dataDir, 'server.log'), 'a')
  const serverEnv = {
    ...process.env,
    IMGBACKUP_DATA_DIR: path.join(dataDir, 'data'),
    IMGBACKUP_WORKERS: '1',
    IMGBACKUP_THREADS: '4',
    ...env
  }
  delete serverEnv.DJANGO_SETTINGS_MODULE
  const child = spawn(IMGBACKUP, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dataDir, env: serverEnv, stdio: ['ignore', log, log]
  })
  const url = `http://127.0.0.1:${port}`
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(undefined)
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
  const deadline = Date.now() + 60000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return { url, stop, log: path.join(dataDir, 'server.log') }
    } catch (e) { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw new Error(`the server did not start:\n${fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8')}`)
}

// --- pages, rendered by miniprogram-simulate through WeChat's own wcc -----------------------

let simulate = null

/** jsdom as the page's document, then miniprogram-simulate (it needs `window` when loaded). */
function simulator () {
  if (simulate) return simulate
  const { JSDOM } = require('jsdom')
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true })
  global.window = dom.window
  global.document = dom.window.document
  // jsdom's own event classes: its dispatchEvent refuses Node's.
  for (const name of ['Event', 'CustomEvent', 'Element', 'Node', 'HTMLElement', 'MutationObserver', 'TouchEvent']) {
    global[name] = dom.window[name]
  }
  simulate = require('miniprogram-simulate')
  return simulate
}

/** Load app.js with `wx` installed; `getApp()` then answers its instance. */
function loadApp (device) {
  simulator()
  global.wx = device.wx
  let app
  global.App = (def) => { app = def }
  global.getApp = () => app
  global.getCurrentPages = () => device.state.pages.slice()
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(MINIPROGRAM + path.sep)) delete require.cache[key]
  }
  require(path.join(MINIPROGRAM, 'app.js'))
  device.state.app = app
  if (app.onLaunch) app.onLaunch({ path: 'pages/backup/backup' })
  if (app.onShow) app.onShow({ path: 'pages/backup/backup' })
  return app
}

/**
 * pages/<name>/<name>, rendered: its WXML compiled by wcc, its `Page({...})` run as a component
 * (the shim WeChat's docs describe), attached to a jsdom document. The handle taps elements by
 * selector (so the WXML's bindings are what is tested), reads the rendered text, and records
 * every setData.
 */
function loadPage (device, name) {
  const sim = simulator()
  const handlerResults = []
  let depth = 0
  global.Page = (def) => {
    const methods = {}
    for (const [key, value] of Object.entries(def)) {
      if (typeof value !== 'function') continue
      methods[key] = function (...args) {
        // Only an outermost call may be an event's handler (it may call other methods).
        depth += 1
        try {
          const result = value.apply(this, args)
          if (depth === 1) handlerResults.push(result)
          return result
        } finally {
          depth -= 1
        }
      }
    }
    global.Component({ data: def.data, methods })
  }
  const id = sim.load(path.join(MINIPROGRAM, 'pages', name, name), { rootPath: MINIPROGRAM })
  const comp = sim.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  const instance = comp.instance
  instance.route = `pages/${name}/${name}`
  const setDataLog = []
  const setData = instance.setData.bind(instance)
  instance.setData = (patch, callback) => {
    setDataLog.push(patch)
    return setData(patch, callback)
  }
  device.state.pages.push(instance)

  /** Fire `event` on the `index`th element matching `selector`; resolves with what the handler did. */
  async function fire (event, selector, index = 0, detail = {}) {
    const nodes = comp.querySelectorAll(selector)
    if (!nodes[index]) throw new Error(`${name}: no element ${selector} [${index}] in\n${comp.dom.innerHTML}`)
    const before = handlerResults.length
    nodes[index].dispatchEvent(event, { detail })
    // The framework delivers the event a tick later; the device answers a tick after that.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
    // The first call since the dispatch is the handler (methods called after an `await` in
    // it come later and are not the event's).
    if (handlerResults.length === before) throw new Error(`${name}: ${event} on ${selector} called no handler`)
    return handlerResults[before]
  }

  return {
    name,
    instance,
    comp,
    setDataLog,
    get data () { return instance.data },
    tap: (selector, index, detail) => fire('tap', selector, index, detail),
    longpress: (selector, index) => fire('longpress', selector, index),
    count: (selector) => comp.querySelectorAll(selector).length,
    text: (selector) => {
      const node = selector ? comp.querySelector(selector) : comp
      return node ? node.dom.textContent.replace(/\s+/g, ' ').trim() : null
    },
    texts: (selector) => comp.querySelectorAll(selector).map((node) => node.dom.textContent.replace(/\s+/g, ' ').trim()),
    /** A lifecycle call, as the framework makes it. */
    call: (method, ...args) => instance[method](...args)
  }
}

/** Wait until `condition()` holds (the pages work asynchronously, like on a phone); generous, for a busy CI machine. */
async function waitFor (condition, what = 'a condition', ms = 30000) {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

module.exports = { REPO, MINIPROGRAM, startCode2Session, startServer, loadApp, loadPage, waitFor }
