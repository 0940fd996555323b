// A fake `wx` that behaves like the device where it matters to the page code: its network
// calls are real HTTP (Node's fetch and FormData), `success` is called for any HTTP status,
// uploadFile's `data` is a string, downloads land in temp files (error bodies too), failures
// carry `errMsg` strings, and upload/download calls return task objects with progress events.
// What a person would do (choose photos, answer a modal, tap an action sheet) is scripted.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

/** @param {string} dir a folder for the device's temp files */
function createWx (dir) {
  const files = new Map() // device path -> real path
  let counter = 0
  const storage = new Map()

  // What the person will do next, and what the device showed.
  const script = {
    chosen: /** @type {string[][]} */ ([]),
    modalAnswers: /** @type {boolean[]} */ ([]),
    actionSheetTaps: /** @type {number[]} */ ([]),
    authorizeAnswer: true,
    openSettingGrants: true,
    loginCodes: /** @type {string[]} */ ([]),
    openid: 'openid-phone'
  }
  const seen = {
    toasts: [], modals: [], previews: [], album: [], logins: 0,
    uploads: [], progress: [], maxUploadsInFlight: 0, authSetting: {}
  }
  let uploadsInFlight = 0

  function tempFile (ext, bytes) {
    counter += 1
    const devicePath = `http://tmp/wx${counter}.${ext}`
    const real = path.join(dir, `tmp-${counter}.${ext}`)
    fs.writeFileSync(real, bytes)
    files.set(devicePath, real)
    return devicePath
  }

  function real (devicePath) {
    const found = files.get(devicePath)
    if (!found || !fs.existsSync(found)) throw new Error(`no such file or directory ${devicePath}`)
    return found
  }

  function later (fn) {
    setImmediate(fn)
  }

  function failWith (opts, api, err) {
    later(() => opts.fail && opts.fail({ errMsg: `${api}:fail ${err.message || err}` }))
  }

  function headersOf (response) {
    return Object.fromEntries(response.headers.entries())
  }

  const wx = {
    // --- the person ------------------------------------------------------------------------
    login (opts) {
      seen.logins += 1
      const code = script.loginCodes.shift() || `ok-${script.openid}`
      later(() => opts.success({ code, errMsg: 'login:ok' }))
    },
    chooseMedia (opts) {
      const sources = script.chosen.shift()
      if (!sources) return failWith(opts, 'chooseMedia', 'cancel')
      if (sources.length > opts.count) throw new Error(`chose ${sources.length} > count ${opts.count}`)
      const tempFiles = sources.map((source) => {
        const bytes = fs.readFileSync(source)
        return {
          tempFilePath: tempFile(path.extname(source).slice(1) || 'jpg', bytes),
          size: bytes.length, fileType: 'image', width: 0, height: 0, duration: 0, thumbTempFilePath: ''
        }
      })
      later(() => opts.success({ tempFiles, type: 'image', errMsg: 'chooseMedia:ok' }))
    },
    showModal (opts) {
      seen.modals.push(opts)
      const confirm = script.modalAnswers.length ? script.modalAnswers.shift() : true
      later(() => opts.success && opts.success({ confirm, cancel: !confirm, errMsg: 'showModal:ok' }))
    },
    showActionSheet (opts) {
      const tapIndex = script.actionSheetTaps.shift()
      if (tapIndex === undefined) return failWith(opts, 'showActionSheet', 'cancel')
      later(() => opts.success({ tapIndex, errMsg: 'showActionSheet:ok' }))
    },
    showToast (opts) { seen.toasts.push(opts) },
    showLoading () {},
    hideLoading () {},
    stopPullDownRefresh () {},
    previewImage (opts) {
      for (const url of opts.urls) real(url)
      seen.previews.push(opts)
    },

    // --- permissions and the album ---------------------------------------------------------
    getSetting (opts) {
      later(() => opts.success({ authSetting: { ...seen.authSetting }, errMsg: 'getSetting:ok' }))
    },
    authorize (opts) {
      if (opts.scope in seen.authSetting) {
        // Refused once, the device no longer asks: authorize fails at once.
        if (!seen.authSetting[opts.scope]) return failWith(opts, 'authorize', 'auth deny')
      } else {
        seen.authSetting[opts.scope] = script.authorizeAnswer
      }
      if (seen.authSetting[opts.scope]) later(() => opts.success({ errMsg: 'authorize:ok' }))
      else failWith(opts, 'authorize', 'auth deny')
    },
    openSetting (opts) {
      seen.authSetting['scope.writePhotosAlbum'] = script.openSettingGrants
      later(() => opts.success({ authSetting: { ...seen.authSetting }, errMsg: 'openSetting:ok' }))
    },
    saveImageToPhotosAlbum (opts) {
      if (!seen.authSetting['scope.writePhotosAlbum']) {
        return failWith(opts, 'saveImageToPhotosAlbum', 'auth deny')
      }
      seen.album.push(fs.readFileSync(real(opts.filePath)))
      later(() => opts.success({ errMsg: 'saveImageToPhotosAlbum:ok' }))
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
            return failWith(opts, 'getFileInfo', err)
          }
          const digest = crypto.createHash(opts.digestAlgorithm || 'md5').update(bytes).digest('hex')
          later(() => opts.success({ size: bytes.length, digest, errMsg: 'getFileInfo:ok' }))
        },
        readFileSync (filePath, encoding) {
          return fs.readFileSync(real(filePath), encoding)
        }
      }
    },

    // --- network ---------------------------------------------------------------------------
    request (opts) {
      const method = opts.method || 'GET'
      let url = opts.url
      let body
      if (opts.data !== undefined && method === 'GET') {
        url += (url.includes('?') ? '&' : '?') + new URLSearchParams(opts.data).toString()
      } else if (opts.data !== undefined) {
        body = typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data)
      }
      fetch(url, { method, headers: opts.header, body }).then(async (response) => {
        const text = await response.text()
        let data = text
        try { data = JSON.parse(text) } catch (e) { /* the device hands non-JSON over as is */ }
        opts.success({ statusCode: response.status, data, header: headersOf(response), errMsg: 'request:ok' })
      }, (err) => failWith(opts, 'request', err.cause || err))
      return { abort () {} }
    },
    uploadFile (opts) {
      const listeners = []
      const bytes = fs.readFileSync(real(opts.filePath))
      uploadsInFlight += 1
      seen.maxUploadsInFlight = Math.max(seen.maxUploadsInFlight, uploadsInFlight)
      const progress = (sent) => {
        const event = { progress: Math.round(100 * sent / bytes.length), totalBytesSent: sent, totalBytesExpectedToSend: bytes.length }
        seen.progress.push({ filePath: opts.filePath, ...event })
        for (const listener of listeners) listener(event)
      }
      const form = new FormData()
      for (const [key, value] of Object.entries(opts.formData || {})) form.append(key, value)
      form.append(opts.name, new Blob([bytes]), path.basename(opts.filePath))
      later(async () => {
        progress(0)
        try {
          const response = await fetch(opts.url, { method: 'POST', headers: opts.header, body: form })
          const data = await response.text()
          progress(bytes.length)
          seen.uploads.push({ filePath: opts.filePath, status: response.status })
          opts.success({ statusCode: response.status, data, errMsg: 'uploadFile:ok' })
        } catch (err) {
          opts.fail({ errMsg: `uploadFile:fail ${(err.cause || err).message}` })
        } finally {
          uploadsInFlight -= 1
        }
      })
      return { onProgressUpdate (fn) { listeners.push(fn) }, abort () {} }
    },
    downloadFile (opts) {
      const listeners = []
      later(async () => {
        try {
          const response = await fetch(opts.url, { headers: opts.header })
          const bytes = Buffer.from(await response.arrayBuffer())
          const event = { progress: 100, totalBytesWritten: bytes.length, totalBytesExpectedToWrite: bytes.length }
          for (const listener of listeners) listener(event)
          // Like the device: the body lands in a temp file whatever the status.
          const tempFilePath = tempFile('tmp', bytes)
          opts.success({ tempFilePath, statusCode: response.status, errMsg: 'downloadFile:ok' })
        } catch (err) {
          opts.fail({ errMsg: `downloadFile:fail ${(err.cause || err).message}` })
        }
      })
      return { onProgressUpdate (fn) { listeners.push(fn) }, abort () {} }
    }
  }
  return { wx, script, seen, real, storage }
}

module.exports = { createWx }
