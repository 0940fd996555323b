// Large files go through the server's resumable upload endpoint (tus 1.0.0, /api/v2/uploads/)
// with tus-js-client, vendored in static/vendor (scripts/update-tus-js-client): in chunks, so a
// proxy's body limit does not matter; after a network drop it asks the server how far it got
// and goes on; after a page reload, choosing the same file again continues where it stopped
// (tus-js-client keeps the upload URL in localStorage, keyed by the file's name, type, size and
// modification time). Same shape as api.js's uploadPhoto, so upload.js only picks one.
import { API, ApiError, csrfToken, errorFrom } from "./api.js";

const TUS_VERSION = "4.3.1";
const MiB = 1024 * 1024;
// localStorage can lower these (the browser tests do, to upload a few MB in many chunks).
export const RESUMABLE_FROM = Number(localStorage.getItem("imgbackup.resumableFrom")) || 32 * MiB;
const CHUNK_SIZE = Number(localStorage.getItem("imgbackup.resumableChunk")) || 50 * MiB;
// 129 s in all: longer than the lease a request keeps on its upload (60 s after its last
// renewal, photos/resumable_lease.py), so a chunk cut off by the server's crash is sent again
// once the restarted server lets the lease lapse, instead of failing on its 409s meanwhile.
export const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];

let loading = null;

function loadTus() {
  if (window.tus) return Promise.resolve(window.tus);
  loading ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL(`../../vendor/tus-js-client-${TUS_VERSION}/tus.min.js`, import.meta.url).href;
    script.onload = () => resolve(window.tus);
    script.onerror = () => {
      loading = null;
      reject(new ApiError(0, "network", "could not load the resumable uploader"));
    };
    document.head.append(script);
  });
  return loading;
}

function failure(err) {
  const response = err && err.originalResponse;
  if (!response) return null;
  let body = null;
  try {
    body = JSON.parse(response.getBody());
  } catch {
    body = null;
  }
  return { status: response.getStatus(), body };
}

/** Upload ``file`` with tus. Returns {promise, abort}, as uploadPhoto does. */
export function uploadResumable(file, { sha256, onProgress }) {
  let upload = null;
  let photoId = null;
  const promise = loadTus().then((tus) => new Promise((resolve, reject) => {
    const metadata = { filename: file.name, filetype: file.type || "application/octet-stream" };
    if (file.lastModified) metadata.modified_at = new Date(file.lastModified).toISOString();
    if (sha256) metadata.sha256 = sha256;
    upload = new tus.Upload(file, {
      endpoint: `${API}/uploads/`,
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      metadata,
      headers: { "X-CSRFToken": csrfToken() },
      removeFingerprintOnSuccess: true,
      // Network failures, 5xx, 409 (another request was still finishing) and 423 are worth
      // another try; while the browser is offline, onError waits for it to come back.
      onShouldRetry: (err) => {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        return navigator.onLine && (status === 0 || status >= 500 || status === 409 || status === 423);
      },
      onAfterResponse: (req, res) => {
        photoId = res.getHeader("Imgbackup-Photo-Id") || photoId;
      },
      onProgress: (sent) => onProgress && onProgress(sent, file.size),
      onSuccess: () => resolve({ status: 201, body: { items: [{ id: photoId, sha256: photoId, created: true }] } }),
      onError: (err) => {
        const answer = failure(err);
        if (answer && answer.status) {
          resolve(answer); // the server refused: upload.js shows why
        } else if (!navigator.onLine) {
          window.addEventListener("online", () => upload.start(), { once: true });
        } else {
          reject(errorFrom(0, null));
        }
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, () => upload.start());
  }));
  return { promise, abort: () => upload && upload.abort() };
}
