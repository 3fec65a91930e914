// Applying server-rendered fragments ("ops") to the page, keeping focus and scroll.

const parser = document.createElement("template");

function toNode(html) {
  parser.innerHTML = html.trim();
  return parser.content.firstElementChild;
}

// Replace `el` by `node`, giving focus back to the equivalent element if it had it, and
// keeping open what the person had opened (<details> panels), so live updates never fold
// a form someone is filling in.
function swap(el, node) {
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
}

const handlers = {
  upsert(op) {
    const parent = document.querySelector(op.parent);
    if (!parent) return;
    const node = toNode(op.html);
    if (!node) return;
    const existing = document.getElementById(op.id);
    if (existing) {
      swap(existing, node);
    } else {
      parent.append(node);
    }
    document.dispatchEvent(new CustomEvent("estaminet:inserted", { detail: { node, parent, fresh: !existing } }));
  },
  replace(op) {
    for (const el of document.querySelectorAll(op.target)) {
      const node = toNode(op.html);
      if (node) swap(el, node);
      document.dispatchEvent(new CustomEvent("estaminet:replaced", { detail: { node } }));
    }
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

export function applyOps(ops) {
  for (const op of ops || []) {
    const handler = handlers[op.op];
    if (handler) handler(op);
  }
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
