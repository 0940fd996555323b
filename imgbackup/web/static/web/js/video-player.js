// A video in the viewer: its poster at once, then what /playback answers. While the server
// makes a playable copy (202), the poster stays with a note and the request is repeated after
// Retry-After; a video no copy can be made of (its frames do not decode) says so, with the
// server's reason, and falls back to its original; one this browser cannot play says so too.

const MAX_WAIT_S = 30;

export class VideoPlayer {
  constructor(video, note) {
    this.video = video;
    this.note = note;
    this.token = 0;
    video.addEventListener("error", () => {
      if (video.getAttribute("src") && !this.note.textContent) {
        this.setNote("This browser cannot play this video. The original is kept: Download gives it back.");
      }
    });
  }

  show(photo) {
    this.start(photo, photo.urls.playback, false);
  }

  /** A Live or Motion Photo's clip, over its still: muted, played once, then gone. */
  showMotion(photo, onEnd) {
    this.start(photo, photo.urls.motion, true);
    this.video.onended = () => { this.hide(); onEnd(); };
  }

  start(photo, url, motion) {
    const token = ++this.token;
    this.video.hidden = false;
    this.video.controls = !motion;
    this.video.muted = motion;
    this.video.autoplay = motion;
    this.video.onended = null;
    this.video.poster = photo.urls.preview;
    this.video.removeAttribute("src");
    this.video.load();
    this.load(photo, url, token);
  }

  async load(photo, url, token) {
    let answer;
    try {
      answer = await fetch(url, { headers: { Range: "bytes=0-0" }, credentials: "same-origin" });
    } catch {
      if (token === this.token) this.setNote("The video could not be loaded.");
      return;
    }
    if (token !== this.token) return;
    if (answer.status === 202) {
      const wait = Math.min(Number(answer.headers.get("Retry-After")) || 5, MAX_WAIT_S);
      this.setNote("Preparing the video for this browser…");
      setTimeout(() => { if (token === this.token) this.load(photo, url, token); }, wait * 1000);
      return;
    }
    if (answer.status === 404) {
      const reason = await answer.json().then((body) => body?.error?.message || "", () => "");
      if (token !== this.token) return;
      this.setNote(`No preview of this video${reason ? ` (${reason})` : ""}. ` +
        "The original is kept: Download gives it back.");
    } else {
      this.setNote("");
    }
    this.video.src = answer.ok ? url : photo.urls.original;
  }

  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  hide() {
    this.token += 1;
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.removeAttribute("poster");
    this.video.load();
    this.video.hidden = true;
    this.setNote("");
  }
}
