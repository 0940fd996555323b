// What every test file shares: one real server per file (with the stand-in jscode2session),
// a fresh phone per test (its own device, storage, app, modules and WeChat user, so each test
// runs alone: `node --test --test-name-pattern=...`), and photos made in code.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { after, before } = require('node:test')

const { createWx } = require('./fake-wx.js')
const { execFileSync } = require('node:child_process')
const { REPO, MINIPROGRAM, startCode2Session, startServer, loadApp, loadPage, waitFor } = require('./harness.js')

const MAX_UPLOAD_MB = 1
// A tiny real JPEG; each photo below is a copy with its own comment segment, so its own bytes.
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAQABgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCL/kHf9eP/AKI/+w/9B/3fu3qKo/8AIO/68f8A0R/9h/6D/u/d+M/3n/H/AOlf/bf+lf4vi+w/hf4fy/4H5emx/wAg7/rx/wDRH/2H/oP+790q9RR7alPWtFuXdO1/XR6+fXrrds5JR0g7L0/4KP/Z', 'base64')

const env = { tmp: '', server: null, wechat: null }
let phones = 0

/** Start the server for this file's tests (call at the top of a test file). */
function useServer () {
  before(async () => {
    env.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbackup-mp-'))
    env.wechat = await startCode2Session()
    env.server = await startServer(env.tmp, {
      IMGBACKUP_WECHAT_APPID: 'wx-test-appid',
      IMGBACKUP_WECHAT_SECRET: 'test-secret',
      IMGBACKUP_WECHAT_CODE2SESSION_URL: env.wechat.url,
      // Every phone here signs itself up (the default asks an admin to approve new users).
      IMGBACKUP_WECHAT_SIGNUP: 'open',
      IMGBACKUP_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB)
    })
  })
  after(async () => {
    if (env.server) await env.server.stop()
    if (env.wechat) await env.wechat.stop()
    if (env.tmp) fs.rmSync(env.tmp, { recursive: true, force: true })
  })
  return env
}

/** A photo file on the test machine (what the person picks in the album), with its own bytes. */
function jpeg (name) {
  const comment = Buffer.from(`imgbackup test photo ${name}`)
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment])
  const file = path.join(env.tmp, `${name}.jpg`)
  fs.writeFileSync(file, Buffer.concat([JPEG.subarray(0, 2), segment, JPEG.subarray(2)]))
  return file
}

/**
 * A real little video (made by tests/videos.py with PyAV, as the Python tests make theirs): an
 * H.264 MP4, or with kind 'mov' an HEVC MOV as iPhones make, which the server makes a playable
 * copy of. Its own bytes per seed; what the person picks in the album.
 */
function video (name, { seed = 0, seconds = 6, kind = 'mp4' } = {}) {
  if (!['mp4', 'mov'].includes(kind)) throw new Error(`video: ${kind}?`)
  const file = path.join(env.tmp, `${name}.${kind}`)
  const code = 'import sys; from tests.videos import make_video; ' +
    `sys.stdout.buffer.write(make_video("${kind}", seed=${Number(seed)}, seconds=${Number(seconds)}, size=(160, 120)))`
  fs.writeFileSync(file, execFileSync(path.join(REPO, '.venv', 'bin', 'python'), ['-c', code], { cwd: REPO }))
  return file
}

const md5 = (file) => crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex')

/**
 * A new phone with a new WeChat user: its own device, storage and freshly loaded mini program.
 * @param {string} [name] part of the user's openid
 */
function phone (name = 'user') {
  phones += 1
  const device = createWx(path.join(env.tmp, `device-${phones}`))
  device.script.openid = `openid-${name}-${phones}-${process.pid}`
  const lib = (file) => require(path.join(MINIPROGRAM, 'lib', file))
  const launch = () => {
    const app = loadApp(device)
    app.globalData.serverUrl = env.server.url
    return { app, api: lib('api.js'), queue: lib('queue.js'), gallery: lib('gallery.js'), chunked: lib('chunked.js') }
  }
  return {
    device,
    ...launch(),
    /**
     * The app is closed and started again, in the foreground: its storage stays, its temp
     * files and pages and modules (with their settings) are gone.
     */
    restart () {
      device.dropTempFiles()
      device.state.pages.length = 0
      device.state.hidden = false
      Object.assign(this, launch())
    },
    /** Render pages/<name> and run onLoad (and onShow) as the framework does. */
    async open (page, { show = true, query = {} } = {}) {
      const handle = loadPage(device, page)
      if (handle.instance.onLoad) await handle.call('onLoad', query)
      if (show && handle.instance.onShow) await handle.call('onShow')
      return handle
    },
    /** The person picks these files in the album. */
    choose (handle, files) {
      device.script.chosen.push(files)
      return handle.tap('.weui-uploader__input')
    },
    /** This user's API token, logging in through the mini program's own code. */
    async token () {
      return this.app.globalData.token || await this.api.login()
    },
    /** Put photos on the server for this user directly (not through the pages). */
    async seed (files) {
      const token = await this.token()
      const ids = []
      for (const file of files) {
        const form = new FormData()
        form.append('photo', new Blob([fs.readFileSync(file)]), path.basename(file))
        const res = await fetch(`${env.server.url}/api/v1.0/service/image/`,
          { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form })
        if (res.status >= 300) throw new Error(`seed ${file}: ${res.status} ${await res.text()}`)
        ids.push(await idOf(token, md5(file)))
      }
      return ids
    },
    /** GET a v2 path with this user's token: the server's view, to compare with the pages'. */
    async server (apiPath, method = 'GET') {
      const res = await fetch(env.server.url + apiPath,
        { method, headers: { Authorization: `Bearer ${await this.token()}` } })
      return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.arrayBuffer() }
    },
    lastModal: () => device.seen.modals.at(-1)
  }
}

async function idOf (token, hash) {
  const res = await fetch(`${env.server.url}/api/v2/photos?limit=200`, { headers: { Authorization: `Bearer ${token}` } })
  const body = await res.json()
  const found = body.items.find((item) => item.md5 === hash)
  if (!found) throw new Error(`no photo ${hash} on the server`)
  return found.id
}

/** A gate a test opens when it has looked: `gate.wait()` blocks until `gate.open()`. */
function gate () {
  let open
  const opened = new Promise((resolve) => { open = resolve })
  return { wait: () => opened, open: () => open() }
}

function isImage (bytes) {
  const buf = Buffer.from(bytes)
  const jpg = buf[0] === 0xff && buf[1] === 0xd8
  const webp = buf.subarray(0, 4).toString() === 'RIFF' && buf.subarray(8, 12).toString() === 'WEBP'
  return jpg || webp
}

module.exports = { env, useServer, phone, jpeg, video, md5, gate, isImage, waitFor, MAX_UPLOAD_MB, JPEG }
