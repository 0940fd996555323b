// The one network module: promise wrappers for wx.request, wx.uploadFile and wx.downloadFile.
//
// What the device does and this module makes up for:
// - all three call `success` for any HTTP status: a non-2xx answer is rejected here as ApiError;
// - uploadFile's `res.data` is a string: parsed here;
// - downloadFile writes even an error body to a temp file: only 200 counts;
// - none sends cookies the server would use: every call carries `Authorization: Bearer <token>`;
//   on 401 the module logs in again (wx.login → POST /api/v2/auth/wechat) and retries once;
// - at most 10 calls may be in flight: uploads are limited to 3 and downloads to 4 here.

const TOKEN_KEY = 'imgbackup.token'
const MAX_UPLOADS = 3
const MAX_DOWNLOADS = 4

class ApiError extends Error {
  /**
   * @param {string} message what the server or the device said
   * @param {number} statusCode the HTTP status; 0 when no answer came (network failure)
   * @param {string} code the v2 error code, or 'network'
   */
  constructor (message, statusCode, code) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
  }
}

// What the person is told, by HTTP status (0: no answer at all).
const MESSAGES = {
  0: '无法连接服务器，请检查网络，或确认服务器地址已在小程序后台的 request/uploadFile/downloadFile 合法域名中。',
  401: '登录失败或已过期，请稍后重试。',
  403: '没有权限执行此操作。',
  404: '服务器上找不到这张照片，可能已被删除。',
  413: '照片太大，超过了服务器允许的上传大小。',
  415: '不是支持的图片格式，服务器拒绝保存。',
  429: '操作太频繁，请稍后再试。',
  503: '服务器暂时不可用，请稍后再试。'
}

/** @param {unknown} err @returns {string} a sentence for showModal */
function describe (err) {
  if (err instanceof ApiError) {
    const known = MESSAGES[/** @type {keyof typeof MESSAGES} */ (err.statusCode)]
    if (known) return err.statusCode === 0 ? known : `${known}（${err.message}）`
    return `服务器错误 ${err.statusCode}：${err.message}`
  }
  const message = err && typeof err === 'object' && 'message' in err ? err.message : err
  return String(message || '未知错误')
}

/** @param {unknown} err @param {string} [title] */
function showError (err, title) {
  wx.showModal({ title: title || '出错了', content: describe(err), showCancel: false })
}

function settings () {
  return getApp().globalData
}

/** An absolute URL: `path` is absolute already, or relative to the server's root. */
function url (path) {
  if (/^https?:\/\//.test(path)) return path
  return settings().serverUrl.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '')
}

/** The original API's image endpoint, as the original mini program built it. */
function imageUrl () {
  return url(settings().apiVersion + 'service/image/')
}

function getToken () {
  const app = settings()
  if (!app.token) app.token = wx.getStorageSync(TOKEN_KEY) || ''
  return app.token
}

/** @param {string} token */
function setToken (token) {
  settings().token = token
  if (token) wx.setStorageSync(TOKEN_KEY, token)
  else wx.removeStorageSync(TOKEN_KEY)
}

/** @param {{errMsg?: string}} res @returns {ApiError} */
function networkError (res) {
  return new ApiError((res && res.errMsg) || 'network failure', 0, 'network')
}

/** @param {number} statusCode @param {any} body the parsed answer, if any */
function httpError (statusCode, body) {
  let message = `HTTP ${statusCode}`
  let code = 'http_' + statusCode
  if (body && typeof body === 'object') {
    if (body.error && body.error.message) {
      message = body.error.message
      code = body.error.code || code
    } else if (body.message) {
      message = body.message
    }
  }
  return new ApiError(message, statusCode, code)
}

/** @param {string} text */
function parseJson (text) {
  try {
    return JSON.parse(text)
  } catch (e) {
    return text
  }
}

/** @param {number} status */
function ok (status) {
  return status >= 200 && status < 300
}

/**
 * wx.request as a promise of the raw answer (any status).
 * @param {{url: string, method?: any, data?: any, header?: Record<string, string>}} options
 * @returns {Promise<WechatMiniprogram.RequestSuccessCallbackResult>}
 */
function rawRequest (options) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: options.url,
      method: options.method || 'GET',
      data: options.data,
      header: Object.assign({ 'content-type': 'application/json' }, options.header),
      success: resolve,
      fail: (res) => reject(networkError(res))
    })
  })
}

let loggingIn = /** @type {Promise<string> | null} */ (null)

/** Log in with wx.login; concurrent callers share one login. @returns {Promise<string>} */
function login () {
  if (!loggingIn) {
    loggingIn = doLogin().finally(() => { loggingIn = null })
  }
  return loggingIn
}

async function doLogin () {
  /** @type {WechatMiniprogram.LoginSuccessCallbackResult} */
  const { code } = await new Promise((resolve, reject) => {
    wx.login({ success: resolve, fail: (res) => reject(networkError(res)) })
  })
  const res = await rawRequest({ url: url('/api/v2/auth/wechat'), method: 'POST', data: { code } })
  if (!ok(res.statusCode)) throw httpError(res.statusCode, res.data)
  const body = /** @type {{token: string}} */ (res.data)
  setToken(body.token)
  return body.token
}

/**
 * Send with the token; on 401 log in again and send once more.
 * @template {{statusCode: number}} T
 * @param {(header: Record<string, string>) => Promise<T>} send
 * @returns {Promise<T>}
 */
async function withAuth (send) {
  const token = getToken() || await login()
  const res = await send({ Authorization: 'Bearer ' + token })
  if (res.statusCode !== 401) return res
  const fresh = await login()
  return send({ Authorization: 'Bearer ' + fresh })
}

/**
 * A JSON API call. Resolves with the parsed body of a 2xx answer, rejects ApiError otherwise.
 * @param {string} path e.g. '/api/v2/photos?limit=30'
 * @param {{method?: 'GET' | 'POST' | 'DELETE' | 'PATCH', data?: any}} [options]
 * @returns {Promise<any>}
 */
async function request (path, options) {
  const opts = options || {}
  const res = await withAuth((header) => rawRequest({
    url: url(path), method: opts.method, data: opts.data, header
  }))
  if (!ok(res.statusCode)) throw httpError(res.statusCode, res.data)
  return res.data
}

/** A counter of calls in flight that makes the rest wait their turn. @param {number} limit */
function limiter (limit) {
  let running = 0
  /** @type {Array<() => void>} */
  const waiting = []
  /** @template T @param {() => Promise<T>} job @returns {Promise<T>} */
  return async function run (job) {
    if (running >= limit) await new Promise((resolve) => waiting.push(() => resolve(undefined)))
    else running++
    try {
      return await job()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else running--
    }
  }
}

const uploadSlot = limiter(MAX_UPLOADS)
const downloadSlot = limiter(MAX_DOWNLOADS)

/**
 * Upload one file with multipart. Resolves with the parsed JSON of a 2xx answer.
 * @param {{url: string, filePath: string, name: string, formData?: Record<string, string>,
 *          onProgress?: (progress: number) => void}} options
 * @returns {Promise<any>}
 */
function uploadFile (options) {
  return uploadSlot(async () => {
    const res = await withAuth((header) => new Promise((resolve, reject) => {
      const task = wx.uploadFile({
        url: url(options.url),
        filePath: options.filePath,
        name: options.name,
        formData: options.formData,
        header,
        success: resolve,
        fail: (res) => reject(networkError(res))
      })
      if (task && options.onProgress) {
        const onProgress = options.onProgress
        task.onProgressUpdate((p) => onProgress(p.progress))
      }
    }))
    const body = parseJson(res.data)
    if (!ok(res.statusCode)) throw httpError(res.statusCode, body)
    return body
  })
}

/**
 * Download with the token. Resolves with the temp file path of a 200 answer.
 * @param {string} path
 * @param {{onProgress?: (progress: number) => void}} [options]
 * @returns {Promise<string>}
 */
function downloadFile (path, options) {
  const onProgress = options && options.onProgress
  return downloadSlot(async () => {
    /** @type {WechatMiniprogram.DownloadFileSuccessCallbackResult} */
    const res = await withAuth((header) => new Promise((resolve, reject) => {
      const task = wx.downloadFile({
        url: url(path),
        header,
        success: resolve,
        fail: (res) => reject(networkError(res))
      })
      if (task && onProgress) task.onProgressUpdate((p) => onProgress(p.progress))
    }))
    if (res.statusCode !== 200) throw httpError(res.statusCode, errorBody(res.tempFilePath))
    return res.tempFilePath
  })
}

/** The JSON error the server wrote into a downloaded temp file, if it is one. */
function errorBody (filePath) {
  try {
    const text = wx.getFileSystemManager().readFileSync(filePath, 'utf8')
    return parseJson(String(text))
  } catch (e) {
    return null
  }
}

module.exports = {
  ApiError,
  MESSAGES,
  describe,
  showError,
  url,
  imageUrl,
  getToken,
  setToken,
  login,
  request,
  uploadFile,
  downloadFile,
  MAX_UPLOADS
}
