// Why the viewer's picture did not load, in words a person can act on. The <img> only says
// "error"; asking the server's health check, then the preview itself, tells a server that is
// down from a photo that is gone or a session that ended.

/** Resolves to the sentence to show instead of a broken image. */
export async function whyNotShown(previewUrl) {
  let health;
  try {
    health = await fetch("/healthz", { cache: "no-store" });
  } catch {
    return "The server cannot be reached, so this photo cannot be shown. Check that the server is running and that you are online, then try again.";
  }
  if (!health.ok) return "The server is running but its database or storage is not answering. Try again in a moment.";
  let preview;
  try {
    preview = await fetch(previewUrl, { cache: "no-store", credentials: "same-origin" });
  } catch {
    return "The connection to the server broke while loading this photo. Try again.";
  }
  if (preview.status === 401) return "You are signed out: log in again to see this photo.";
  if (preview.status === 404) return "This photo is no longer on the server: it may have been deleted in another window.";
  if (preview.ok) return "This photo could not be loaded just now. Try again.";
  return `The server could not show this photo (error ${preview.status}). Its original can still be downloaded.`;
}
