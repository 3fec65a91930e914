// Applying server-rendered fragments ("ops") to the page, keeping focus and scroll.

const parser = document.createElement("template");

function toNode(html) {
  parser.innerHTML = html.trim();
  return parser.content.firstElementChild;
}

// Replace `el` by `node`, giving focus back to the equivalent element if it had it, and
// keeping open what the person had opened (<details> panels), so live updates never fold
// a form someone is filling in. `then` runs once `node` is in the page.
//
// A press (pointer down, then up) on something inside `el` would lose its click if `el`
// were replaced in between: the button released is not the one pressed. A player tapping
// « Prêt » while another's move redraws the table would see nothing happen. So while a
// press inside `el` lasts, the swap waits (at most a second); a newer content for the same
// element replaces the waiting one.
function swap(el, node, then) {
  if (pressed && el.contains(pressed)) {
    held.set(el, [node, then]);
    // Counted from the first held swap: redraws coming during a long press do not extend it.
    heldTimer ??= setTimeout(releaseHeld, 1000);
    return;
  }
  const active = document.activeElement;
  const hadFocus = active && el.contains(active);
  const focusId = hadFocus && active.id;
  const key = (d, i) => d.id || d.dataset.keep || `#${i}`;
  const opened = new Map([...el.querySelectorAll("details")].map((d, i) => [key(d, i), d.open]));
  [...node.querySelectorAll("details")].forEach((d, i) => {
    const was = opened.get(key(d, i));
    if (was !== undefined) d.open = was;
  });
  el.replaceWith(node);
  if (hadFocus) {
    const again = focusId ? document.getElementById(focusId) : null;
    (again || node).focus?.({ preventScroll: true });
  }
  then?.();
}

let pressed = null;
const held = new Map();
let heldTimer = null;
let releaseTimer = null;

function releaseHeld() {
  pressed = null;
  clearTimeout(heldTimer);
  heldTimer = null;
  clearTimeout(releaseTimer);
  const waiting = [...held];
  held.clear();
  for (const [el, [node, then]] of waiting) {
    if (el.isConnected) swap(el, node, then);
  }
}

// (Outside a page, as when Node imports this module to test the patches, nothing listens.)
const listen = (type, handler) => document.addEventListener?.(type, handler, true);
listen("pointerdown", (event) => {
  pressed = event.target;
  clearTimeout(releaseTimer);
});
// A tap's click may come a moment after the release (a phone's gesture): the press ends at
// the click, or 300 ms after the release when no click follows (a finger slid away).
for (const type of ["pointerup", "pointercancel"]) {
  listen(type, () => {
    if (!pressed) return;
    clearTimeout(releaseTimer);
    releaseTimer = setTimeout(releaseHeld, 300);
  });
}
// Held swaps run after every handler of the click.
listen("click", () => {
  if (pressed) setTimeout(releaseHeld, 0);
});

const handlers = {
  upsert(op) {
    const parent = document.querySelector(op.parent);
    if (!parent) return;
    const node = toNode(op.html);
    if (!node) return;
    const existing = document.getElementById(op.id);
    const inserted = () => document.dispatchEvent(
      new CustomEvent("estaminet:inserted", { detail: { node, parent, fresh: !existing } }),
    );
    if (existing) {
      swap(existing, node, inserted);
    } else {
      parent.append(node);
      inserted();
    }
  },
  replace(op) {
    if (op.keep) kept.set(op.target, splitTokens(op.html));
    replaceWith(op.target, op.html);
  },
  // Edits to the text last kept for the target (a game's view after a move): applied only
  // when the result is exactly the server's (its CRC-32); otherwise nothing changes and
  // the caller asks for the whole view again.
  patch(op) {
    const base = kept.get(op.target);
    const after = base && patchTokens(base, op.edits);
    const html = after && after.join("");
    if (!html || crc32(html) !== op.crc) {
      kept.delete(op.target);
      return false;
    }
    kept.set(op.target, after);
    replaceWith(op.target, html);
    return true;
  },
  inner(op) {
    for (const el of document.querySelectorAll(op.target)) el.innerHTML = op.html;
  },
  remove(op) {
    for (const el of document.querySelectorAll(op.target)) el.remove();
  },
  toast(op) {
    showToast(op.html);
  },
  // Data for a screen's script (a drawing's new strokes): no HTML, an event on the target.
  stream(op) {
    for (const el of document.querySelectorAll(op.target)) {
      el.dispatchEvent(new CustomEvent("estaminet:stream", { bubbles: true, detail: op.data }));
    }
  },
};

function replaceWith(target, html) {
  for (const el of document.querySelectorAll(target)) {
    const node = toNode(html);
    const replaced = () => document.dispatchEvent(new CustomEvent("estaminet:replaced", { detail: { node } }));
    if (node) swap(el, node, replaced);
    else replaced();
  }
}

// The text of the targets whose last `replace` said `keep`, cut as the server cuts it: the
// base of the `patch` ops that follow (realtime/patch.py, docs/protocol.md).
const kept = new Map();

// The text cut before each "<" (and the text before the first one).
export function splitTokens(html) {
  const out = [];
  let at = 0;
  while (at < html.length) {
    let next = html.indexOf("<", at + 1);
    if (next < 0) next = html.length;
    out.push(html.slice(at, next));
    at = next;
  }
  return out;
}

// `edits` ([at, remove, html], increasing, not overlapping) applied to a copy of `tokens`,
// from the last to the first; null when one does not fit.
export function patchTokens(tokens, edits) {
  const out = tokens.slice();
  if (!Array.isArray(edits)) return null;
  for (let i = edits.length - 1; i >= 0; i--) {
    const [at, remove, html] = edits[i] || [];
    if (!Number.isInteger(at) || !Number.isInteger(remove) || typeof html !== "string") return null;
    if (at < 0 || remove < 0 || at + remove > out.length) return null;
    out.splice(at, remove, ...splitTokens(html));
  }
  return out;
}

let crcTable = null;

// CRC-32 (the one zlib computes) of the text's UTF-8.
export function crc32(text) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Apply a frame's ops; false when one could not be (a patch without its base): the page
// then asks for the topic again.
export function applyOps(ops) {
  let applied = true;
  for (const op of ops || []) {
    const handler = handlers[op.op];
    if (handler && handler(op) === false) applied = false;
  }
  return applied;
}

export function showToast(html, timeout = 8000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const node = toNode(html);
  if (!node) return;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", document.body.dataset.tClose || "×");
  close.textContent = "×";
  close.addEventListener("click", () => node.remove());
  node.append(close);
  box.append(node);
  // A notice with a link to follow ("it's starting — join") stays until it is used
  // or closed: a slow phone or a keyboard user must not lose it. Others leave after
  // `timeout`, but never while the pointer or the keyboard focus is on them.
  if (node.querySelector("a[href]")) return;
  let timer = setTimeout(() => node.remove(), timeout);
  const hold = () => clearTimeout(timer);
  const release = () => {
    if (node.matches(":hover, :focus-within")) return;
    clearTimeout(timer);
    timer = setTimeout(() => node.remove(), timeout / 2);
  };
  node.addEventListener("pointerenter", hold);
  node.addEventListener("focusin", hold);
  node.addEventListener("pointerleave", release);
  node.addEventListener("focusout", release);
}

export function showTextToast(text) {
  const div = document.createElement("div");
  div.className = "toast";
  div.setAttribute("role", "status");
  const p = document.createElement("p");
  p.textContent = text;
  div.append(p);
  showToast(div.outerHTML);
}

// After an action that takes a while (joining a call, starting a camera, sending a message),
// the control that started it may hide and its follow-up show: the focus goes on to the
// follow-up, but only if it is still where the action began (inside `from`, or nowhere since
// `from` hid or was disabled). A person who moved on meanwhile keeps their place: one typing
// in the chat who presses "Enter" must not press "mute" because the call came through.
export function passFocus(from, to, options) {
  const active = document.activeElement;
  if (!active || active === document.body || from?.contains(active)) to?.focus(options);
}
