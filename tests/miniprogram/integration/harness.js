// The real server, a stand-in for WeChat's jscode2session, and the mini program's real code
// loaded into Node: App() and Page() are captured and pages get `data` and `setData`.
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

/** Set `value` at a setData path such as `items[2].thumb` or `a.b`. */
function setPath (target, key, value) {
  const parts = key.replace(/\[(\d+)\]/g, '.$1').split('.')
  let node = target
  for (const part of parts.slice(0, -1)) node = node[part]
  node[parts[parts.length - 1]] = value
}

/** Load app.js with `wx` installed; `getApp()` then answers its instance. */
function loadApp (wx) {
  global.wx = wx
  let app
  global.App = (def) => { app = def }
  global.getApp = () => app
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(MINIPROGRAM + path.sep)) delete require.cache[key]
  }
  require(path.join(MINIPROGRAM, 'app.js'))
  return app
}

/** A page instance of pages/<name>/<name>.js, as the framework would make it. */
function loadPage (name) {
  let def
  global.Page = (d) => { def = d }
  const file = path.join(MINIPROGRAM, 'pages', name, `${name}.js`)
  delete require.cache[file]
  require(file)
  const page = { ...def, route: `pages/${name}/${name}`, data: structuredClone(def.data) }
  page.setData = function (patch, callback) {
    for (const [key, value] of Object.entries(patch)) setPath(page.data, key, structuredClone(value))
    if (callback) callback()
  }
  return page
}

/** An event as the framework passes it to a handler bound on an element with data-*. */
function tap (dataset) {
  return { type: 'tap', currentTarget: { dataset }, target: { dataset }, detail: {} }
}

module.exports = { REPO, MINIPROGRAM, startCode2Session, startServer, loadApp, loadPage, tap }
