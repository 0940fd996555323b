// SHA-256 of a file in the browser, so the server can be asked which files it already has
// (and verify what it receives). crypto.subtle exists only in a secure context: https://,
// or http://127.0.0.1 and http://localhost.

export const canHash = Boolean(globalThis.crypto && globalThis.crypto.subtle);

export async function sha256Hex(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Run ``worker(item)`` over a growing queue with at most ``limit`` at once. */
export class Pool {
  constructor(limit, worker) {
    this.limit = limit;
    this.worker = worker;
    this.queue = [];
    this.running = 0;
    this.idleCallbacks = [];
  }

  push(...items) {
    this.queue.push(...items);
    this.pump();
  }

  get busy() {
    return this.running > 0 || this.queue.length > 0;
  }

  pump() {
    while (this.running < this.limit && this.queue.length) {
      const item = this.queue.shift();
      this.running += 1;
      Promise.resolve()
        .then(() => this.worker(item))
        .catch((err) => console.error(err))
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (!this.busy) for (const cb of this.idleCallbacks) cb();
        });
    }
  }

  onIdle(cb) {
    this.idleCallbacks.push(cb);
  }
}
