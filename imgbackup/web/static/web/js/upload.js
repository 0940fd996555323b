// Uploads: hash each file in the browser, ask the server which hashes it lacks, send only
// those, three at a time, each with its SHA-256 so the server verifies what it received.
// Every file gets a row telling what happened to it; failed files can be sent again.
// Signed out meanwhile (in another tab, by an admin): the list stays, the files not sent wait,
// and they go on once the same person has logged in again.
import { api, errorFrom, onSignedOut, uploadPhoto } from "./api.js";
import { $ } from "./dom.js";
import { formatBytes, plural } from "./format.js";
import { looksLikePhoto } from "./files.js";
import { canHash, Pool, sha256Hex } from "./hash.js";
import { Thumbnails, uploadRow, withoutName } from "./upload-row.js";
import { Speedometer, speedText } from "./upload-speed.js";
import { RESUMABLE_FROM, uploadResumable } from "./resumable.js";

const PARALLEL_UPLOADS = 3;
const PARALLEL_HASHES = 2;
const CHECK_BATCH = 200;
// crypto.subtle hashes a whole ArrayBuffer at once: a file larger than this (a long video) is
// sent without asking first rather than held in memory twice over. The server still keeps
// each photo once.
const HASH_LIMIT = 256 * 1024 * 1024;

// state -> [label shown, nothing more happens to it by itself, counted as failed]
const STATES = {
  waiting: ["waiting", false, false],
  hashing: ["checking…", false, false],
  checking: ["checking…", false, false],
  queued: ["queued", false, false],
  uploading: ["uploading", false, false],
  uploaded: ["uploaded", true, false],
  skipped: ["already backed up", true, false],
  restored: ["restored from the trash", true, false],
  ignored: ["not a photo, skipped", true, false],
  failed: ["failed", true, true],
  paused: ["not sent yet: signed out", true, false],
};

export class Uploader {
  constructor({ maxBytes, onUploaded }) {
    this.maxBytes = maxBytes;
    this.onUploaded = onUploaded;
    this.entries = [];
    this.bySha = new Map();
    this.pendingCheck = [];
    this.hashes = new Pool(PARALLEL_HASHES, (entry) => this.hash(entry));
    this.uploads = new Pool(PARALLEL_UPLOADS, (entry) => this.upload(entry));
    this.hashes.onIdle(() => this.flushCheck());
    this.uploads.onIdle(() => this.render());
    this.panel = $("#uploads");
    this.list = $("#upload-list");
    this.user = this.panel.dataset.user || "";
    this.signedOut = false;
    this.otherUser = "";
    this.thumbnails = new Thumbnails(this.list);
    this.speed = new Speedometer();
    this.ticker = null;
    this.uploads.onIdle(() => this.stopTicker());
    // The list follows the files being sent until the person scrolls it themselves.
    this.follow = true;
    for (const type of ["wheel", "touchstart", "keydown"]) {
      this.list.addEventListener(type, () => { this.follow = false; }, { passive: true });
    }
    $("#upload-retry").addEventListener("click", () => this.retryFailed());
    // A 401 anywhere on the page while there is a list: keep it, do not go to the login form.
    onSignedOut(() => {
      if (!this.entries.length) return false;
      this.signedOut = true;
      this.render();
      return true;
    });
    // Back from logging in in another tab: carry on by ourselves.
    window.addEventListener("focus", () => this.signedOut && this.resume(this.pending()));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.signedOut) this.resume(this.pending());
    });
    $("#upload-close").addEventListener("click", () => this.closePanel());
    $("#upload-toggle").addEventListener("click", (event) => {
      const open = this.list.hidden;
      this.list.hidden = !open;
      event.currentTarget.textContent = open ? "Hide details" : "Show details";
      event.currentTarget.setAttribute("aria-expanded", String(open));
    });
    window.addEventListener("beforeunload", (event) => {
      if (this.busy || this.entries.some((e) => e.state === "paused")) event.preventDefault();
    });
  }

  get busy() {
    return this.entries.some((e) => !STATES[e.state][1]);
  }

  /** Files that may still be sent: failed for a reason that may pass, or held while signed out. */
  pending() {
    return this.entries.filter((e) => e.state === "paused" || (e.state === "failed" && !e.permanent));
  }

  add(files) {
    const fresh = [...files].filter((f) => !f.name.startsWith("."));
    if (!fresh.length) return;
    this.panel.hidden = false;
    for (const file of fresh) {
      const entry = { file, state: "waiting", loaded: 0, message: "", sha256: null };
      entry.row = uploadRow(file, { onRetry: () => this.resume([entry]), thumbnails: this.thumbnails, photo: looksLikePhoto(file) });
      this.list.append(entry.row.li);
      this.entries.push(entry);
      if (!looksLikePhoto(file)) this.set(entry, "ignored");
      else if (file.size > this.maxBytes) this.set(entry, "failed", `larger than the server's limit of ${formatBytes(this.maxBytes)}`, { permanent: true });
      else if (canHash && file.size <= HASH_LIMIT) this.hashes.push(entry);
      else this.queue(entry); // no crypto.subtle (plain http on another host): send all
    }
    this.render();
  }

  /** ``permanent``: a failure that sending again cannot fix (not an image, too large). */
  set(entry, state, message = "", { permanent = false } = {}) {
    entry.state = state;
    entry.message = message;
    entry.permanent = permanent;
    const { li, status, bar, retry } = entry.row;
    li.dataset.state = state;
    status.textContent = STATES[state][0] + (message ? `: ${message}` : "");
    status.title = status.textContent; // the whole text, should a narrow screen cut it short
    retry.hidden = !(state === "paused" || (state === "failed" && !permanent));
    if (state === "uploaded" || state === "skipped" || state === "restored") bar.value = bar.max;
    if (state === "failed" || state === "paused") bar.value = 0; // whatever was sent was not kept
    if (state === "uploading" && this.follow) this.list.scrollTop = li.offsetTop - 40; // offsetParent: the list
    this.render();
  }

  async hash(entry) {
    this.set(entry, "hashing");
    try {
      entry.sha256 = await sha256Hex(entry.file);
    } catch (err) {
      this.set(entry, "failed", `could not read the file (${err.message})`);
      return;
    }
    this.set(entry, "checking");
    this.pendingCheck.push(entry);
    if (this.pendingCheck.length >= CHECK_BATCH) await this.flushCheck();
  }

  /** Ask the server which of the hashed files it already has; queue the rest. */
  async flushCheck() {
    const batch = this.pendingCheck.splice(0);
    if (!batch.length) return;
    let answer;
    try {
      answer = await api("/photos/check", { method: "POST", body: { hashes: [...new Set(batch.map((e) => e.sha256))] } });
    } catch {
      answer = null; // the upload itself will tell whether the server is there
    }
    const present = new Set(answer ? answer.present : []);
    const trashed = new Set(answer ? answer.trashed || [] : []);
    for (const entry of batch) {
      const twin = this.bySha.get(entry.sha256);
      if (trashed.has(entry.sha256)) {
        await this.restore(entry);
      } else if (present.has(entry.sha256)) {
        this.set(entry, "skipped");
      } else if (twin && twin !== entry && twin.state !== "failed") {
        // The same bytes twice in this upload (a copy under another name): send them once.
        this.set(entry, "skipped", `same photo as ${twin.file.name}`);
        continue;
      } else {
        this.queue(entry);
      }
      this.bySha.set(entry.sha256, entry);
    }
  }

  async restore(entry) {
    try {
      await api(`/photos/${entry.sha256}/restore`, { method: "POST" });
      this.set(entry, "restored");
      this.onUploaded();
    } catch (err) {
      if (err.status === 401) this.set(entry, "paused");
      else this.set(entry, "failed", err.message);
    }
  }

  queue(entry) {
    entry.loaded = 0;
    entry.row.bar.value = 0;
    this.set(entry, "queued");
    this.uploads.push(entry);
  }

  async upload(entry) {
    if (this.signedOut) {
      this.set(entry, "paused"); // sending it now would only be refused
      return;
    }
    this.set(entry, "uploading");
    this.startTicker();
    const send = entry.file.size >= RESUMABLE_FROM ? uploadResumable : uploadPhoto;
    const { promise } = send(entry.file, {
      sha256: entry.sha256,
      onProgress: (loaded) => {
        const now = Math.min(loaded, entry.file.size);
        this.speed.add(now - entry.loaded);
        entry.loaded = now;
        entry.row.bar.value = entry.loaded;
        this.renderTotals();
      },
    });
    try {
      const { status, body } = await promise;
      const item = body && body.items && body.items[0];
      if (status >= 200 && status < 300 && item) {
        this.set(entry, item.created ? "uploaded" : "skipped");
        this.onUploaded();
      } else {
        const rejected = body && body.rejected && body.rejected[0];
        const err = rejected ? errorFrom(status, rejected) : errorFrom(status, body);
        if (status === 401) {
          this.signedOut = true;
          this.set(entry, "paused");
          return;
        }
        const message = withoutName(err.message, entry.file.name, rejected && rejected.filename);
        this.set(entry, "failed", message, { permanent: status === 413 || status === 415 });
      }
    } catch (err) {
      this.set(entry, "failed", err.message);
    }
  }

  retry(entry) {
    if (entry.state !== "paused" && (entry.state !== "failed" || entry.permanent)) return;
    if (entry.sha256 || !canHash || entry.file.size > HASH_LIMIT) this.queue(entry);
    else this.hashes.push(entry);
  }

  retryFailed() {
    return this.resume(this.pending());
  }

  /** Send ``entries`` again; when signed out, first make sure the same person is back. */
  async resume(entries) {
    if (this.signedOut && !(await this.signedInAgain())) return;
    for (const entry of entries) this.retry(entry);
  }

  async signedInAgain() {
    if (!this.checking) {
      this.checking = api("/me").then(
        (me) => me.username,
        () => null, // still signed out (or the server is away): stay as we are
      ).finally(() => { this.checking = null; });
    }
    const username = await this.checking;
    if (username && this.user && username !== this.user) {
      // Another account signed in since: these files must not land in it.
      this.otherUser = username;
    } else if (username) {
      this.signedOut = false;
      this.otherUser = "";
    }
    this.render();
    return !this.signedOut;
  }

  closePanel() {
    if (this.busy) return;
    this.follow = true;
    this.entries = [];
    this.bySha.clear();
    this.thumbnails.clear();
    this.list.replaceChildren();
    this.signedOut = false;
    this.panel.hidden = true;
  }

  startTicker() {
    // Progress events stop when the connection stalls: the speed must still come down.
    if (!this.ticker) this.ticker = setInterval(() => { this.speed.sample(); this.renderSpeed(); }, 1000);
  }

  stopTicker() {
    clearInterval(this.ticker);
    this.ticker = null;
    this.speed.reset();
    this.renderSpeed();
  }

  counts() {
    const n = {};
    for (const entry of this.entries) n[entry.state] = (n[entry.state] || 0) + 1;
    return n;
  }

  renderTotals() {
    // Bytes still to send or sent; files the server already had count as done.
    let total = 0;
    let done = 0;
    for (const e of this.entries) {
      if (e.state === "ignored") continue;
      total += e.file.size;
      if (e.state === "paused") continue; // still to send: not done
      done += STATES[e.state][1] ? e.file.size : e.state === "uploading" ? e.loaded : 0;
    }
    const bar = $("#upload-total");
    bar.max = total || 1;
    bar.value = done;
    this.renderSpeed();
  }

  renderSpeed() {
    let remaining = 0;
    for (const e of this.entries) {
      if (!STATES[e.state][1]) remaining += e.file.size - (e.state === "uploading" ? e.loaded : 0);
    }
    $("#upload-speed").textContent = this.ticker && !this.signedOut ? speedText(this.speed.rate(), remaining) : "";
  }

  render() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.renderSummary();
    });
  }

  renderSummary() {
    const n = this.counts();
    const count = (state) => n[state] || 0;
    const parts = [];
    if (count("uploaded")) parts.push(`${count("uploaded")} uploaded`);
    if (count("skipped")) parts.push(`${count("skipped")} already backed up`);
    if (count("restored")) parts.push(`${count("restored")} restored from the trash`);
    if (count("ignored")) parts.push(`${count("ignored")} not photos`);
    if (count("failed")) parts.push(`${count("failed")} failed`);
    const busy = this.busy;
    const waiting = this.entries.length - this.entries.filter((e) => STATES[e.state][1]).length;
    if (count("paused")) parts.push(`${count("paused")} not sent yet`);
    let head = busy ? `Backing up ${plural(this.entries.length, "file")}: ${waiting} to go` : `Done with ${plural(this.entries.length, "file")}`;
    if (this.signedOut) head = "Signed out: log in again, then retry";
    $("#upload-summary").textContent = head + (parts.length ? ` · ${parts.join(" · ")}` : "");
    this.renderSignedOut();
    const retry = $("#upload-retry");
    retry.hidden = busy || !this.pending().length;
    retry.textContent = this.signedOut ? "Retry" : "Retry failed";
    $("#upload-close").hidden = busy;
    this.panel.dataset.busy = busy ? "1" : "";
    this.renderTotals();
  }

  renderSignedOut() {
    const box = $("#upload-signed-out");
    box.hidden = !this.signedOut;
    $("#upload-signed-out-text").textContent = this.otherUser
      ? `Signed in as ${this.otherUser} now, but these files were being backed up for ${this.user}. Log in as ${this.user} to send the rest to the right account.`
      : this.pending().length || this.busy
        ? "You were signed out (in another tab, or your password was changed), so the uploads stopped. Nothing is lost: this list stays. Log in again, then press Retry to send the files not sent yet."
        : "You were signed out (in another tab, or your password was changed). This list stays; log in again to go on.";
  }
}
