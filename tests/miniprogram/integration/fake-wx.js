// A fake `wx` as strict as the device where it matters to the page code. Its network calls are
// real HTTP (Node's fetch and FormData); like WeChat it
// - calls `success` for any HTTP status; uploadFile's `data` is a string; downloads land in temp
//   files (error bodies too);
// - fails (never throws) with `errMsg` strings: a missing file (`uploadFile:fail file not
//   found`), a timeout (`request:fail timeout`, after app.json's networkTimeout or the call's
//   `timeout`), an 11th call in flight (`request:fail exceed max task count`: at most 10),
//   no network, a domain not in the whitelist (`request:fail url not in domain list`), and calls
//   still running a grace period after the app went to the background (`uploadFile:fail
//   interrupted`; 5 s on a phone, `graceMs` here);
// - returns task objects whose progress events come while the call runs (`script.uploadGate`
//   holds an upload after its first progress event, so a test can look at the page then).
// What a person does (choose photos, answer a modal, tap an action sheet) is scripted.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const MAX_IN_FLIGHT = 10
const APP_JSON = path.resolve(__dirname, '../../../miniprogram/app.json')

/** @param {string} dir a folder for the device's temp files */
function createWx (dir) {
  fs.mkdirSync(dir, { recursive: true })
  const files = new Map() // device path -> real path
  let counter = 0
  const storage = new Map()
  const appJson = JSON.parse(fs.readFileSync(APP_JSON, 'utf8'))

  // The device's state, and what the tests may change about it.
  const state = {
    online: true,
    hidden: false,
    graceMs: 30, // 5 s on a phone
    networkTimeout: { request: 60000, uploadFile: 60000, downloadFile: 60000, ...appJson.networkTimeout },
    domainList: /** @type {string[] | null} */ (null), // null: DevTools' "do not check domains"
    window: { windowWidth: 375, windowHeight: 667, pixelRatio: 2, screenWidth: 375, screenHeight: 667 },
    app: /** @type {any} */ (null),
    pages: /** @type {any[]} */ ([]) // getCurrentPages(), the shown page last
  }
  // What the person will do next.
  const script = {
    chosen: /** @type {string[][]} */ ([]),
    chooseFail: '', // e.g. 'chooseMedia:fail privacy permission is not authorized'
    modalAnswers: /** @type {boolean[]} */ ([]),
    // What the person types into an editable modal (`editable: true`), in turn.
    modalInputs: /** @type {string[]} */ ([]),
    actionSheetTaps: /** @type {number[]} */ ([]),
    authorizeAnswer: true,
    openSettingGrants: true,
    loginCodes: /** @type {string[]} */ ([]),
    openid: 'openid-phone',
    uploadGate: /** @type {null | (() => Promise<void>)} */ (null),
    // Called when the server has answered a request: the answer is held until the promise resolves.
    requestGate: /** @type {null | ((url: string, opts: any) => Promise<void> | null)} */ (null),
    uploadProgressSteps: [40],
    alterUpload: /** @type {null | ((bytes: Buffer) => Buffer)} */ (null),
    // The share menu: the person sends the image ('send') or closes the menu ('cancel').
    shareAnswer: 'send',
    // Changes the bytes of a wx.request whose data is an ArrayBuffer, on the way (a bad network).
    alterRequest: /** @type {null | ((opts: any, bytes: Buffer) => Buffer)} */ (null),
    videoDuration: 3.2
  }
  const seen = {
    toasts: [], modals: [], previews: [], album: [], loadings: [], logins: 0,
    calls: [], uploads: [], maxInFlight: 0, maxUploadsInFlight: 0, authSetting: {},
    keepScreenOn: [], pullDownStops: 0, shares: [], navigations: [], titles: [], reads: [],
    requests: []
  }
  const inFlight = new Set()
  const networkListeners = new Set()

  function tempFile (ext, bytes) {
    counter += 1
    const devicePath = `http://tmp/wx${counter}.${ext}`
    const real = path.join(dir, `tmp-${counter}.${ext}`)
    fs.writeFileSync(real, bytes)
    files.set(devicePath, real)
    return devicePath
  }

  /** The real file behind a device path; throws like Node when there is none. */
  function real (devicePath) {
    const found = files.get(devicePath)
    if (!found || !fs.existsSync(found)) throw new Error(`no such file or directory ${devicePath}`)
    return found
  }

  function fileTypeOf (source) {
    return /\.(mp4|mov|m4v|3gp)$/i.test(source) ? 'video' : 'image'
  }

  function later (fn) {
    setImmediate(fn)
  }

  function failWith (opts, api, message) {
    later(() => {
      if (opts.fail) opts.fail({ errMsg: `${api}:fail ${message}` })
      if (opts.complete) opts.complete({ errMsg: `${api}:fail ${message}` })
    })
  }

  function succeed (opts, res) {
    later(() => {
      if (opts.success) opts.success(res)
      if (opts.complete) opts.complete(res)
    })
  }

  /**
   * One network call as the device runs it. `work(signal, progress)` does the HTTP and resolves
   * with the success result; whatever ends the call first (the answer, a timeout, an
   * interruption, abort) ends it once.
   */
  function networkCall (kind, opts, work) {
    const listeners = []
    const task = {
      onProgressUpdate (fn) { listeners.push(fn) },
      offProgressUpdate (fn) { listeners.splice(listeners.indexOf(fn), 1) },
      abort () { finish(null, 'abort') }
    }
    const controller = new AbortController()
    let done = false
    let timer = null
    const call = { kind, url: opts.url, method: opts.method || 'GET', interrupt: () => finish(null, 'interrupted') }
    seen.calls.push(call)
    function finish (res, failure) {
      if (done) return
      done = true
      clearTimeout(timer)
      inFlight.delete(call)
      controller.abort()
      if (failure) failWith(opts, kind, failure)
      else succeed(opts, res)
    }
    if (inFlight.size >= MAX_IN_FLIGHT) {
      done = true
      failWith(opts, kind, 'exceed max task count')
      return task
    }
    if (!state.online) {
      done = true
      failWith(opts, kind, '-106:net::ERR_INTERNET_DISCONNECTED')
      return task
    }
    if (state.domainList && !state.domainList.includes(new URL(opts.url).origin)) {
      done = true
      failWith(opts, kind, 'url not in domain list')
      return task
    }
    inFlight.add(call)
    seen.maxInFlight = Math.max(seen.maxInFlight, inFlight.size)
    if (state.hidden) setTimeout(call.interrupt, state.graceMs)
    timer = setTimeout(() => finish(null, 'timeout'), opts.timeout || state.networkTimeout[kind])
    const progress = (event) => { if (!done) for (const listener of [...listeners]) listener(event) }
    later(() => {
      work(controller.signal, progress).then(async (res) => {
        // A test may hold a request's answer on its way back (the server has answered).
        const held = kind === 'request' && script.requestGate ? script.requestGate(opts.url, opts) : null
        if (held) await abortable(held, controller.signal)
        return res
      }).then((res) => finish(res), (err) => {
        if (done) return
        finish(null, err.wxMessage || (err.cause || err).message)
      })
    })
    return task
  }

  /** A promise that rejects when the call is ended (timeout, interruption): gates give way. */
  function abortable (promise, signal) {
    return Promise.race([promise, new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')))
    })])
  }

  const wx = {
    // --- the person ------------------------------------------------------------------------
    login (opts) {
      seen.logins += 1
      const code = script.loginCodes.shift() || `ok-${script.openid}`
      succeed(opts, { code, errMsg: 'login:ok' })
    },
    chooseMedia (opts) {
      if (!(opts.count >= 1 && opts.count <= 20)) return failWith(opts, 'chooseMedia', 'invalid count')
      if (script.chooseFail) {
        const message = script.chooseFail
        script.chooseFail = ''
        return failWith(opts, 'chooseMedia', message)
      }
      const sources = script.chosen.shift()
      if (!sources) return failWith(opts, 'chooseMedia', 'cancel')
      // The album does not let the person pick more than `count`.
      const types = opts.mediaType || ['image', 'video']
      const picked = sources.slice(0, opts.count)
      // The album shows only the media types asked for.
      const refused = picked.find((source) => !types.includes(fileTypeOf(source)))
      if (refused) throw new Error(`chooseMedia: ${refused} is a ${fileTypeOf(refused)}, not in mediaType ${types}`)
      const tempFiles = picked.map((source) => {
        const bytes = fs.readFileSync(source)
        const video = fileTypeOf(source) === 'video'
        return {
          // The device names a video's temp file .mp4 whatever it was; the server reads the bytes.
          tempFilePath: tempFile(video ? 'mp4' : (path.extname(source).slice(1) || 'jpg'), bytes),
          size: bytes.length,
          fileType: video ? 'video' : 'image',
          width: 0,
          height: 0,
          duration: video ? script.videoDuration : 0,
          // A video's cover, made by the device (a JPEG).
          thumbTempFilePath: video ? tempFile('jpg', Buffer.from([0xff, 0xd8, 0xff, 0xd9])) : ''
        }
      })
      const kinds = new Set(tempFiles.map((file) => file.fileType))
      succeed(opts, { tempFiles, type: kinds.size > 1 ? 'mix' : [...kinds][0] || 'image', errMsg: 'chooseMedia:ok' })
    },
    showModal (opts) {
      seen.modals.push(opts)
      const confirm = script.modalAnswers.length ? script.modalAnswers.shift() : true
      const res = { confirm, cancel: !confirm, errMsg: 'showModal:ok' }
      // Only an editable modal answers what was typed (its `content` is the initial text).
      if (opts.editable) res.content = script.modalInputs.length ? script.modalInputs.shift() : (opts.content || '')
      succeed(opts, res)
    },
    showActionSheet (opts) {
      if (!Array.isArray(opts.itemList) || opts.itemList.length < 1 || opts.itemList.length > 6) {
        return failWith(opts, 'showActionSheet', 'parameter error: itemList should not be large than 6')
      }
      seen.actionSheets = (seen.actionSheets || []).concat([opts.itemList])
      const tapIndex = script.actionSheetTaps.shift()
      if (tapIndex === undefined) return failWith(opts, 'showActionSheet', 'cancel')
      succeed(opts, { tapIndex, errMsg: 'showActionSheet:ok' })
    },
    showToast (opts) { seen.toasts.push(opts) },
    showLoading (opts) { seen.loadings.push(opts.title) },
    hideLoading () {},
    stopPullDownRefresh () { seen.pullDownStops += 1 },
    getWindowInfo () { return { ...state.window } },
    setKeepScreenOn (opts) {
      seen.keepScreenOn.push(opts.keepScreenOn)
      succeed(opts, { errMsg: 'setKeepScreenOn:ok' })
    },
    /**
     * WeChat's image menu (send to a friend, Moments, favourites). Like the device: `path` must
     * be a local or temp file (a URL is refused), an image; WeChat refuses the mini program
     * entrance (`needShowEntrance`, true by default since 3.8.2) outside a few app categories.
     */
    showShareImageMenu (opts) {
      let bytes
      try {
        bytes = fs.readFileSync(real(opts.path))
      } catch (err) {
        return failWith(opts, 'showShareImageMenu', `invalid path ${opts.path}`)
      }
      if (opts.needShowEntrance !== false) return failWith(opts, 'showShareImageMenu', 'forbidden')
      const image = (bytes[0] === 0xff && bytes[1] === 0xd8) || bytes.subarray(1, 4).toString() === 'PNG' ||
        (bytes.subarray(0, 4).toString() === 'RIFF' && bytes.subarray(8, 12).toString() === 'WEBP')
      if (!image) return failWith(opts, 'showShareImageMenu', 'invalid image')
      seen.shares.push({ path: opts.path, bytes })
      if (script.shareAnswer === 'cancel') return failWith(opts, 'showShareImageMenu', 'cancel')
      succeed(opts, { errMsg: 'showShareImageMenu:ok' })
    },
    /** Only a page of app.json, never a tab's page (those need switchTab). */
    navigateTo (opts) {
      const route = String(opts.url).split('?')[0].replace(/^\//, '')
      if (!appJson.pages.includes(route)) return failWith(opts, 'navigateTo', `page "${route}" is not found`)
      if ((appJson.tabBar?.list || []).some((tab) => tab.pagePath === route)) {
        return failWith(opts, 'navigateTo', "can not navigateTo a tabbar page")
      }
      seen.navigations.push(opts.url)
      succeed(opts, { errMsg: 'navigateTo:ok' })
    },
    navigateBack (opts = {}) {
      seen.navigations.push('back')
      succeed(opts, { errMsg: 'navigateBack:ok' })
    },
    setNavigationBarTitle (opts) {
      seen.titles.push(opts.title)
      succeed(opts, { errMsg: 'setNavigationBarTitle:ok' })
    },
    previewMedia (opts) {
      for (const source of opts.sources) real(source.url)
      if (!(opts.current >= 0 && opts.current < opts.sources.length)) throw new Error('previewMedia: current is not an index of sources')
      seen.previews.push({ current: opts.sources[opts.current].url, urls: opts.sources.map((source) => source.url), sources: opts.sources })
      succeed(opts, { errMsg: 'previewMedia:ok' })
    },
    previewImage (opts) {
      for (const url of opts.urls) real(url)
      if (!opts.urls.includes(opts.current)) throw new Error('previewImage: current is not in urls')
      seen.previews.push(opts)
    },

    // --- permissions and the album ---------------------------------------------------------
    getSetting (opts) {
      succeed(opts, { authSetting: { ...seen.authSetting }, errMsg: 'getSetting:ok' })
    },
    authorize (opts) {
      if (opts.scope in seen.authSetting) {
        // Refused once, the device no longer asks: authorize fails at once.
        if (!seen.authSetting[opts.scope]) return failWith(opts, 'authorize', 'auth deny')
      } else {
        seen.authSetting[opts.scope] = script.authorizeAnswer
      }
      if (seen.authSetting[opts.scope]) succeed(opts, { errMsg: 'authorize:ok' })
      else failWith(opts, 'authorize', 'auth deny')
    },
    openSetting (opts) {
      seen.authSetting['scope.writePhotosAlbum'] = script.openSettingGrants
      succeed(opts, { authSetting: { ...seen.authSetting }, errMsg: 'openSetting:ok' })
    },
    saveVideoToPhotosAlbum (opts) {
      if (!seen.authSetting['scope.writePhotosAlbum']) {
        return failWith(opts, 'saveVideoToPhotosAlbum', 'auth deny')
      }
      let bytes
      try {
        bytes = fs.readFileSync(real(opts.filePath))
      } catch (err) {
        return failWith(opts, 'saveVideoToPhotosAlbum', 'file not found')
      }
      // An MP4 or QuickTime file starts with its ftyp box.
      if (bytes.subarray(4, 8).toString() !== 'ftyp') {
        return failWith(opts, 'saveVideoToPhotosAlbum', 'invalid video')
      }
      seen.album.push(bytes)
      succeed(opts, { errMsg: 'saveVideoToPhotosAlbum:ok' })
    },
    saveImageToPhotosAlbum (opts) {
      if (!seen.authSetting['scope.writePhotosAlbum']) {
        return failWith(opts, 'saveImageToPhotosAlbum', 'auth deny')
      }
      let bytes
      try {
        bytes = fs.readFileSync(real(opts.filePath))
      } catch (err) {
        return failWith(opts, 'saveImageToPhotosAlbum', 'file not found')
      }
      if (!(bytes[0] === 0xff && bytes[1] === 0xd8)) {
        return failWith(opts, 'saveImageToPhotosAlbum', 'invalid file type')
      }
      seen.album.push(bytes)
      succeed(opts, { errMsg: 'saveImageToPhotosAlbum:ok' })
    },

    // --- storage and files -----------------------------------------------------------------
    getStorageSync (key) {
      return storage.has(key) ? JSON.parse(storage.get(key)) : ''
    },
    setStorageSync (key, value) { storage.set(key, JSON.stringify(value)) },
    removeStorageSync (key) { storage.delete(key) },
    getFileSystemManager () {
      return {
        getFileInfo (opts) {
          let bytes
          try {
            bytes = fs.readFileSync(real(opts.filePath))
          } catch (err) {
            return failWith(opts, 'getFileInfo', 'no such file or directory')
          }
          const digest = crypto.createHash(opts.digestAlgorithm || 'md5').update(bytes).digest('hex')
          succeed(opts, { size: bytes.length, digest, errMsg: 'getFileInfo:ok' })
        },
        readFileSync (filePath, encoding) {
          return fs.readFileSync(real(filePath), encoding)
        },
        // Like the device: `position`/`length` read a slice; out of range is a fail, not a
        // short read; without `encoding` the data is an ArrayBuffer (not a Buffer).
        readFile (opts) {
          let file
          try {
            file = real(opts.filePath)
          } catch (err) {
            return failWith(opts, 'readFile', `no such file or directory, open "${opts.filePath}"`)
          }
          const size = fs.statSync(file).size
          const position = opts.position === undefined ? 0 : opts.position
          if (!Number.isInteger(position) || position < 0 || position > size) {
            return failWith(opts, 'readFile', 'the value of "position" is out of range')
          }
          const length = opts.length === undefined ? size - position : opts.length
          if (!Number.isInteger(length) || length < 0 || position + length > size) {
            return failWith(opts, 'readFile', 'the value of "length" is out of range')
          }
          const bytes = Buffer.alloc(length)
          const fd = fs.openSync(file, 'r')
          try { fs.readSync(fd, bytes, 0, length, position) } finally { fs.closeSync(fd) }
          seen.reads.push({ filePath: opts.filePath, position, length })
          const data = opts.encoding ? bytes.toString(opts.encoding) : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length)
          succeed(opts, { data, errMsg: 'readFile:ok' })
        }
      }
    },

    // --- network ---------------------------------------------------------------------------
    getNetworkType (opts) {
      succeed(opts, { networkType: state.online ? 'wifi' : 'none', errMsg: 'getNetworkType:ok' })
    },
    onNetworkStatusChange (fn) { networkListeners.add(fn) },
    offNetworkStatusChange (fn) { if (fn) networkListeners.delete(fn); else networkListeners.clear() },
    request (opts) {
      const method = opts.method || 'GET'
      if (!['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'].includes(method)) {
        throw new Error(`wx.request cannot send ${method}`)
      }
      let url = opts.url
      let body
      if (opts.data !== undefined && method === 'GET') {
        url += (url.includes('?') ? '&' : '?') + new URLSearchParams(opts.data).toString()
      } else if (opts.data instanceof ArrayBuffer) {
        // Sent as is: the only way to send bytes.
        body = Buffer.from(opts.data)
        if (script.alterRequest) body = script.alterRequest(opts, body)
      } else if (opts.data !== undefined) {
        // Anything else is serialised: a Buffer or a typed array arrives as JSON, not as bytes.
        body = typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data)
      }
      seen.requests.push({ url, method, header: { ...opts.header }, bytes: body === undefined ? 0 : Buffer.byteLength(body) })
      return networkCall('request', opts, async (signal) => {
        const response = await fetch(url, { method, headers: opts.header, body, signal })
        const text = await response.text()
        let data = text
        try { data = JSON.parse(text) } catch (e) { /* the device hands non-JSON over as is */ }
        return { statusCode: response.status, data, header: headersOf(response), errMsg: 'request:ok' }
      })
    },
    uploadFile (opts) {
      return networkCall('uploadFile', opts, async (signal, progress) => {
        let bytes
        try {
          bytes = fs.readFileSync(real(opts.filePath))
        } catch (err) {
          throw Object.assign(new Error('file not found'), { wxMessage: 'file not found' })
        }
        const uploading = seen.calls.filter((c) => c.kind === 'uploadFile' && inFlight.has(c)).length
        seen.maxUploadsInFlight = Math.max(seen.maxUploadsInFlight, uploading)
        const event = (percent) => progress({
          progress: percent,
          totalBytesSent: Math.round(bytes.length * percent / 100),
          totalBytesExpectedToSend: bytes.length
        })
        event(0)
        for (const percent of script.uploadProgressSteps) event(percent)
        if (script.uploadGate) await abortable(script.uploadGate(), signal)
        const sent = script.alterUpload ? script.alterUpload(bytes) : bytes
        const form = new FormData()
        for (const [key, value] of Object.entries(opts.formData || {})) form.append(key, value)
        form.append(opts.name, new Blob([sent]), path.basename(opts.filePath))
        const response = await fetch(opts.url, { method: 'POST', headers: opts.header, body: form, signal })
        const data = await response.text()
        event(100)
        seen.uploads.push({ filePath: opts.filePath, status: response.status })
        return { statusCode: response.status, data, errMsg: 'uploadFile:ok' }
      })
    },
    downloadFile (opts) {
      return networkCall('downloadFile', opts, async (signal, progress) => {
        const response = await fetch(opts.url, { headers: opts.header, signal })
        const bytes = Buffer.from(await response.arrayBuffer())
        progress({ progress: 50, totalBytesWritten: bytes.length >> 1, totalBytesExpectedToWrite: bytes.length })
        await new Promise((resolve) => setTimeout(resolve, 2))
        progress({ progress: 100, totalBytesWritten: bytes.length, totalBytesExpectedToWrite: bytes.length })
        // Like the device: the body lands in a temp file whatever the status.
        const tempFilePath = tempFile('tmp', bytes)
        return { tempFilePath, statusCode: response.status, errMsg: 'downloadFile:ok' }
      })
    }
  }

  /** Header names as an HTTP/1.1 server writes them (`Upload-Offset`): fetch lower-cases them. */
  function headersOf (response) {
    const titled = (name) => name.replace(/(^|-)([a-z])/g, (m, dash, c) => dash + c.toUpperCase())
    return Object.fromEntries([...response.headers.entries()].map(([name, value]) => [titled(name), value]))
  }

  /** The app goes to the background: calls still running after graceMs fail `interrupted`. */
  function hide () {
    state.hidden = true
    for (const page of state.pages.slice(-1)) if (page.onHide) page.onHide()
    if (state.app && state.app.onHide) state.app.onHide()
    const running = [...inFlight]
    setTimeout(() => { for (const call of running) call.interrupt() }, state.graceMs)
  }

  /**
   * Back to the foreground: App.onShow, then the shown page's onShow (`page: false`: the page
   * shown is another one, e.g. another tab).
   */
  function show ({ page: pageToo = true } = {}) {
    state.hidden = false
    const results = []
    if (state.app && state.app.onShow) results.push(state.app.onShow({ path: '' }))
    if (pageToo) for (const page of state.pages.slice(-1)) if (page.onShow) results.push(page.onShow())
    return Promise.all(results)
  }

  /** The network goes away or comes back; listeners hear it as on a phone. */
  function setOnline (online) {
    state.online = online
    for (const fn of [...networkListeners]) fn({ isConnected: online, networkType: online ? 'wifi' : 'none' })
  }

  /** The app was closed: every temp file is gone. */
  function dropTempFiles () {
    files.clear()
  }

  return { wx, script, seen, state, real, storage, hide, show, setOnline, dropTempFiles, inFlight }
}

module.exports = { createWx, MAX_IN_FLIGHT }
