// The inbox on every page: the bell in the top bar, and toasts for notices (user:<me>).
//
// Each tab keeps the number of the last notice it showed in sessionStorage, which a
// reload keeps: coming back (a reload, a lost connection, a restarted server) it asks
// for what came after, and shows each notice once. A new tab starts from the number
// the page was rendered with (older unread ones are on the bell and the inbox page).

export function setupInbox(live, me, renderedSeq) {
  const topic = `user:${me}`;
  const key = `estaminet.inbox.${me}`;
  let stored = null;
  try { stored = sessionStorage.getItem(key); } catch { /* private mode */ }
  const start = Number(stored ?? renderedSeq) || 0;
  live.keep(topic, key);
  live.follow(topic, start);
  // Kept at once: a reload before anything arrives resumes from the number this page had.
  try { sessionStorage.setItem(key, String(start)); } catch { /* private mode */ }
  // Once the page is leaving (a form sent, a link followed, a reload), a notice that still
  // reaches it is not seen: the next page shows it ("je viens" to an event in progress).
  window.addEventListener("beforeunload", () => live.unkeep(topic));
}
