// The one network module: promise wrappers for wx.request, wx.uploadFile and wx.downloadFile.
//
// What the device does and this module makes up for:
// - all three call `success` for any HTTP status: a non-2xx answer is rejected here as ApiError;
// - uploadFile's `res.data` is a string: parsed here;
// - downloadFile writes even an error body to a temp file: only 200 counts;
// - none sends cookies the server would use: every call carries `Authorization: Bearer <token>`;
//   on 401 the module logs in again (wx.login → POST /api/v2/auth/wechat) and retries once;
// - at most 10 calls may be in flight (an 11th fails): all calls share 10 slots, uploads are
//   limited to 3 and downloads to 4 of them;
// - a failure without an answer has only an `errMsg`: it is kept, and told apart (the app was
//   in the background: `interrupted`; `timeout`; a domain missing from the whitelist; a file
//   that is gone; no network) so that the page knows what to retry.

const TOKEN_KEY = 'imgbackup.token'
const MAX_UPLOADS = 3
const MAX_DOWNLOADS = 4
const MAX_IN_FLIGHT = 10

class ApiError extends Error {
  /**
   * @param {string} message what the server or the device said
   * @param {number} statusCode the HTTP status; 0 when no answer came (network failure)
   * @param {string} code the v2 error code; without an answer one of NETWORK_MESSAGES' keys
   */
  constructor (message, statusCode, code) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
  }
}

// What the person is told when no answer came, by what the device's errMsg says.
const NETWORK_MESSAGES = {
  interrupted: '小程序切到后台时上传被中断，回到前台后会自动继续。',
  timeout: '连接服务器超时，请检查网络后重试。',
  domain: '服务器地址不在小程序后台的 request/uploadFile/downloadFile 合法域名中，请联系管理员。',
  file: '文件已失效，请重新选择。',
  network: '无法连接服务器，请检查网络。',
  // A chunked upload the server still counts as being sent by another request (409 conflict):
  // after a server crash its lease on the upload lapses by itself within a minute.
  busy: '服务器认为这个文件的上传仍在进行中（服务器重启后约 1 分钟内会放开），请 1 分钟后重试；回到前台或网络恢复时也会自动继续。'
}

// What the person is told, by HTTP status (0: no answer at all, see NETWORK_MESSAGES).
const MESSAGES = {
  0: NETWORK_MESSAGES.network,
  401: '登录失败或已过期，请稍后重试。',
  403: '没有权限执行此操作。',
  404: '服务器上找不到这张照片，可能已被删除。',
  410: '上传已过期，请重新选择文件。',
  413: '文件太大，超过了服务器允许的上传大小。',
  415: '不是支持的照片或视频格式，服务器拒绝保存。',
  429: '操作太频繁，请稍后再试。',
  460: '服务器收到的文件与手机上的不一致，没有保存，请重试。',
  503: '服务器暂时不可用，请稍后再试。'
}

// What the person is told, by the server's error code, where the status alone would say
// something else: a 413 past the storage quota is not a file too large, and a 403 at login
// (IMGBACKUP_WECHAT_SIGNUP approve or closed, a disabled account) is not "no permission".
const CODE_MESSAGES = {
  quota_exceeded: '存储空间已满：备份它会超出你的存储配额。请清空回收站或删除照片后重试，或请管理员提高配额。',
  approval_required: '账号正在等待管理员批准：请管理员在网页版的 Users 页面启用你的账号，之后重新打开小程序即可。',
  signup_closed: '这个服务器不接受新的微信用户，请联系管理员为你开通账号。',
  account_disabled: '你的账号已被管理员停用，请联系管理员。'
}

/** What an errMsg of a failed wx call means. @param {string} errMsg @returns {keyof typeof NETWORK_MESSAGES} */
function networkKind (errMsg) {
  if (/interrupted/i.test(errMsg)) return 'interrupted'
  if (/time(d)? ?out/i.test(errMsg)) return 'timeout'
  if (/domain list|合法域名/i.test(errMsg)) return 'domain'
  if (/file not (found|exist)|no such file/i.test(errMsg)) return 'file'
  return 'network'
}

/** Worth trying again by itself (the app came back, the network returned). @param {unknown} err */
function retryable (err) {
  return err instanceof ApiError && err.statusCode === 0 &&
    ['interrupted', 'timeout', 'network', 'busy'].includes(err.code)
}

/** What a wx `fail` errMsg says, for the person. @param {string} errMsg */
function describeErrMsg (errMsg) {
  if (/privacy|隐私/i.test(errMsg)) return `你拒绝了隐私授权，无法使用此功能。（${errMsg}）`
  if (/auth den(y|ied)|permission|authorize/i.test(errMsg)) return `没有权限，请在设置中允许后重试。（${errMsg}）`
  return errMsg
}

/** @param {unknown} err an ApiError, an Error, or a wx fail object `{errMsg}` @returns {string} a sentence for showModal */
function describe (err) {
  if (err instanceof ApiError) {
    if (err.statusCode === 0) {
      const known = NETWORK_MESSAGES[/** @type {keyof typeof NETWORK_MESSAGES} */ (err.code)] || NETWORK_MESSAGES.network
      return `${known}（${err.message}）`
    }
    const known = CODE_MESSAGES[/** @type {keyof typeof CODE_MESSAGES} */ (err.code)] ||
      MESSAGES[/** @type {keyof typeof MESSAGES} */ (err.statusCode)]
    if (known) return `${known}（${err.message}）`
    return `服务器错误 ${err.statusCode}：${err.message}`
  }
  if (err instanceof Error) return err.message || '未知错误'
  if (err && typeof err === 'object' && 'errMsg' in err && typeof err.errMsg === 'string') {
    return describeErrMsg(err.errMsg)
  }
  if (typeof err === 'string' && err) return err
  return '未知错误'
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
  const errMsg = (res && res.errMsg) || 'network failure'
  return new ApiError(errMsg, 0, networkKind(errMsg))
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
 * wx.request as a promise of the raw answer (any status). Header names are lower case, so
 * that a caller's `content-type` replaces the default one instead of being sent beside it.
 * @param {{url: string, method?: any, data?: any, header?: Record<string, string>,
 *          timeout?: number}} options
 * @returns {Promise<WechatMiniprogram.RequestSuccessCallbackResult>}
 */
function rawRequest (options) {
  return networkSlot(() => new Promise((resolve, reject) => {
    /** @type {WechatMiniprogram.RequestOption} */
    const call = {
      url: options.url,
      method: options.method || 'GET',
      data: options.data,
      header: Object.assign({ 'content-type': 'application/json' }, options.header),
      success: resolve,
      fail: (res) => reject(networkError(res))
    }
    if (options.timeout) call.timeout = options.timeout
    wx.request(call)
  }))
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
 * @param {{method?: 'GET' | 'POST' | 'DELETE', data?: any, header?: Record<string, string>}} [options]
 *   (wx.request has no PATCH: POST with `X-HTTP-Method-Override: PATCH` in `header`)
 * @returns {Promise<any>}
 */
async function request (path, options) {
  const opts = options || {}
  const res = await withAuth((auth) => rawRequest({
    url: url(path), method: opts.method, data: opts.data, header: Object.assign({}, opts.header, auth)
  }))
  if (!ok(res.statusCode)) throw httpError(res.statusCode, res.data)
  return res.data
}

/**
 * A call whose answer the caller reads itself, headers and status included (the tus uploads of
 * lib/chunked.js): with the token and the login-again-on-401 of `request`, but any other
 * status resolves.
 * @param {string} path
 * @param {{method: 'GET' | 'HEAD' | 'POST' | 'DELETE', data?: any, header?: Record<string, string>,
 *          timeout?: number}} options
 * @returns {Promise<WechatMiniprogram.RequestSuccessCallbackResult>}
 */
function send (path, options) {
  return withAuth((auth) => rawRequest({
    url: url(path),
    method: options.method,
    data: options.data,
    header: Object.assign({}, options.header, auth),
    timeout: options.timeout
  }))
}

/** A header of an answer, whatever the case of its name (HTTP/2 answers are lower case). */
function headerOf (/** @type {Record<string, any>} */ header, /** @type {string} */ name) {
  const wanted = name.toLowerCase()
  for (const key of Object.keys(header || {})) {
    if (key.toLowerCase() === wanted) return String(header[key])
  }
  return ''
}

/**
 * Call `fn` at most once per `ms`: the first call at once, the last one of a burst after the
 * wait (so the final value is never lost). For progress events, which come many per second.
 * `cancel()` drops a call still waiting (the work is over).
 * @template {any[]} A @param {(...args: A) => void} fn @param {number} ms
 * @returns {((...args: A) => void) & {cancel: () => void}}
 */
function throttle (fn, ms) {
  let last = 0
  let timer = /** @type {any} */ (null)
  let pending = /** @type {A | null} */ (null)
  /** @param {A} args */
  function throttled (...args) {
    const wait = last + ms - Date.now()
    if (wait <= 0 && !timer) {
      last = Date.now()
      fn(...args)
      return
    }
    pending = args
    if (!timer) {
      timer = setTimeout(() => {
        timer = null
        last = Date.now()
        const next = /** @type {A} */ (pending)
        pending = null
        fn(...next)
      }, Math.max(0, wait))
    }
  }
  throttled.cancel = () => {
    clearTimeout(timer)
    timer = null
    pending = null
  }
  return throttled
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

const networkSlot = limiter(MAX_IN_FLIGHT)
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
    const res = await withAuth((header) => networkSlot(() => new Promise((resolve, reject) => {
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
    })))
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
    const res = await withAuth((header) => networkSlot(() => new Promise((resolve, reject) => {
      const task = wx.downloadFile({
        url: url(path),
        header,
        success: resolve,
        fail: (res) => reject(networkError(res))
      })
      if (task && onProgress) task.onProgressUpdate((p) => onProgress(p.progress))
    })))
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
  CODE_MESSAGES,
  NETWORK_MESSAGES,
  describe,
  retryable,
  throttle,
  showError,
  url,
  imageUrl,
  getToken,
  setToken,
  login,
  request,
  send,
  headerOf,
  httpError,
  uploadFile,
  uploadSlot,
  downloadFile,
  MAX_UPLOADS,
  MAX_IN_FLIGHT
}
