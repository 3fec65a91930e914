// « Un dessin, un mot »: the canvas. Every screen rebuilds the turn's drawing from the view's
// data-ink and folds the stream frames' new ops into it (the same fold as games/dessin/ink.py).
// The drawer's screen draws at once, and sends its points in small batches (every ~100 ms,
// integer points on the fixed grid, each as its difference from the previous one).

const BATCH_MS = 100;
const MAX_POINTS = 180;  // under the server's bound (200) per batch

function fold(items, ops) {
  for (const op of ops) {
    const kind = op[0];
    if (kind === "b" || kind === "e" || kind === "c") items.push(op.slice());
    else if (kind === "m") {
      const last = items[items.length - 1];
      if (last && (last[0] === "b" || last[0] === "e")) last.push(...op.slice(1));
    } else if (kind === "u") items.pop();
  }
}

function points(op) {
  if (op[0] === "b") return (op.length - 3) / 2;
  if (op[0] === "e") return (op.length - 2) / 2;
  if (op[0] === "m") return (op.length - 1) / 2;
  return 0;
}

class Painter {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.colours = JSON.parse(canvas.dataset.colours || "[]");
    this.widths = JSON.parse(canvas.dataset.widths || "[]");
    this.pen = null;  // {x, y} end of the stroke being drawn
  }

  clear() {
    this.ctx.fillStyle = "#ffffff";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.pen = null;
  }

  style(op) {
    const ctx = this.ctx;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (op[0] === "b") {
      ctx.strokeStyle = ctx.fillStyle = this.colours[op[1]] || "#000";
      ctx.lineWidth = this.widths[op[2]] || 3;
    } else {
      ctx.strokeStyle = ctx.fillStyle = "#ffffff";
      ctx.lineWidth = this.widths[op[1]] || 8;
    }
    this.current = op;
  }

  // Draw one op on top of what is there (undo and clear redraw the whole list instead).
  draw(op) {
    const kind = op[0];
    if (kind === "c") { this.clear(); return; }
    if (kind === "b" || kind === "e") {
      this.style(op);
      const start = kind === "b" ? 3 : 2;
      let x = op[start], y = op[start + 1];
      this.dot(x, y);
      this.segments(x, y, op.slice(start + 2));
    } else if (kind === "m" && this.pen && this.current) {
      this.style(this.current);
      this.segments(this.pen.x, this.pen.y, op.slice(1));
    }
  }

  dot(x, y) {
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    this.pen = { x, y };
  }

  segments(x, y, deltas) {
    if (deltas.length < 2) { this.pen = { x, y }; return; }
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.moveTo(x, y);
    for (let i = 0; i + 1 < deltas.length; i += 2) {
      x += deltas[i]; y += deltas[i + 1];
      ctx.lineTo(x, y);
    }
    ctx.stroke();
    this.pen = { x, y };
  }

  redraw(items) {
    this.clear();
    this.current = null;
    for (const item of items) this.draw(item);
  }

  // The replay: the turn's strokes drawn again from nothing, a few points per frame.
  animate(items) {
    const steps = [];
    for (const item of items) {
      if (item[0] === "c") { steps.push(item); continue; }
      const start = item[0] === "b" ? 3 : 2;
      steps.push(item.slice(0, start + 2));
      for (let i = start + 2; i + 1 < item.length; i += 8) steps.push(["m", ...item.slice(i, Math.min(item.length, i + 8))]);
    }
    this.clear();
    let i = 0;
    const tick = () => {
      if (!this.canvas.isConnected) return;
      for (let k = 0; k < 6 && i < steps.length; k++, i++) this.draw(steps[i]);
      if (i < steps.length) requestAnimationFrame(tick);
    };
    if (matchMedia("(prefers-reduced-motion: reduce)").matches) this.redraw(items);
    else requestAnimationFrame(tick);
  }
}

export function setupDrawing(live, page) {
  const table = Number(page.dataset.table);
  let server = null;       // {turn, seq, items}: the drawing as the server has it
  let painter = null;
  let canvas = null;
  // The drawer's side.
  let pending = [];        // batches sent, not yet seen back: {seq, ops}
  let outbox = [];         // ops drawn here, not sent yet
  let nextSeq = 0;
  let stroke = null;       // the op being extended, or null
  let last = null;         // the last point sent, {x, y}
  const tool = { colour: 0, width: 1, eraser: false };
  let timer = null;

  const shown = () => {
    const items = server.items.map((item) => item.slice());
    for (const batch of pending) fold(items, batch.ops);
    fold(items, outbox);
    return items;
  };

  const problem = (message) => {
    const box = page.querySelector(".table-error");
    if (box) box.textContent = message;
  };

  const send = async () => {
    if (!outbox.length || !server) return;
    const ops = outbox;
    outbox = [];
    // A stroke goes on in the next batch as "m" ops.
    if (stroke) stroke = null;
    nextSeq = Math.max(nextSeq, server.seq) + 1;
    const batch = { seq: nextSeq, ops };
    pending.push(batch);
    try {
      await live.act("table.act", { table, action: { type: "ink", turn: server.turn, seq: batch.seq, ops } });
      problem("");
    } catch (err) {
      // Refused (too fast, too much, the turn is over): drop it, and what leaned on it.
      pending = pending.filter((b) => b.seq !== batch.seq);
      outbox = [];
      stroke = null;
      last = null;
      painter?.redraw(shown());
      problem(err.message);
    }
  };

  const grid = (e) => {
    const box = canvas.getBoundingClientRect();
    const x = Math.round(((e.clientX - box.left) / box.width) * canvas.width);
    const y = Math.round(((e.clientY - box.top) / box.height) * canvas.height);
    return { x: Math.max(0, Math.min(canvas.width, x)), y: Math.max(0, Math.min(canvas.height, y)) };
  };

  const outboxPoints = () => outbox.reduce((n, op) => n + points(op), 0);

  const start = (e) => {
    if (!canvas?.dataset.drawer || e.button > 0) return;
    e.preventDefault();
    try { canvas.setPointerCapture(e.pointerId); } catch { /* a pointer already gone */ }
    const p = grid(e);
    const op = tool.eraser ? ["e", tool.width, p.x, p.y] : ["b", tool.colour, tool.width, p.x, p.y];
    outbox.push(op);
    stroke = op;
    last = p;
    painter.draw(op);
  };

  const move = (e) => {
    if (!last || !canvas?.dataset.drawer) return;
    if (e.pointerType === "mouse" && e.buttons === 0) { end(); return; }  // released elsewhere
    const events = e.getCoalescedEvents?.() || [e];
    for (const one of events.length ? events : [e]) {
      const p = grid(one);
      if (p.x === last.x && p.y === last.y) continue;
      if (outboxPoints() >= MAX_POINTS) send();
      if (!stroke) { stroke = ["m"]; outbox.push(stroke); }
      const dx = p.x - last.x, dy = p.y - last.y;
      stroke.push(dx, dy);
      painter.segments(last.x, last.y, [dx, dy]);
      last = p;
    }
  };

  const end = () => { last = null; stroke = null; };

  const command = (op) => {
    outbox.push(op);
    stroke = null;
    last = null;
    painter.redraw(shown());
    send();
  };

  // Swatches take their colour and size from the canvas's lists (set through the CSSOM:
  // the venue's CSP forbids style attributes).
  const swatches = () => {
    const colours = JSON.parse(canvas.dataset.colours || "[]");
    const widths = JSON.parse(canvas.dataset.widths || "[]");
    for (const b of page.querySelectorAll("[data-colour]")) b.style.setProperty("--c", colours[Number(b.dataset.colour)] || "#000");
    for (const b of page.querySelectorAll("[data-width] span")) {
      const size = Math.round((widths[Number(b.parentElement.dataset.width)] || 3) / 2.5) + 2;
      b.style.setProperty("--w", `${size}px`);
    }
  };

  const pressed = () => {
    for (const b of page.querySelectorAll("[data-colour]")) b.setAttribute("aria-pressed", String(!tool.eraser && Number(b.dataset.colour) === tool.colour));
    for (const b of page.querySelectorAll("[data-width]")) b.setAttribute("aria-pressed", String(Number(b.dataset.width) === tool.width));
    page.querySelector("[data-eraser]")?.setAttribute("aria-pressed", String(tool.eraser));
  };

  page.addEventListener("click", (e) => {
    const target = e.target.closest?.("[data-colour], [data-width], [data-eraser], [data-undo], [data-clear]");
    if (!target || !canvas?.dataset.drawer) return;
    if (target.dataset.colour !== undefined) { tool.colour = Number(target.dataset.colour); tool.eraser = false; }
    else if (target.dataset.width !== undefined) tool.width = Number(target.dataset.width);
    else if (target.hasAttribute("data-eraser")) tool.eraser = !tool.eraser;
    else if (target.hasAttribute("data-undo")) { if (shown().length) command(["u"]); }
    else if (target.hasAttribute("data-clear")) command(["c"]);
    pressed();
  });

  // Guesses are chat messages: the game takes a right or close one as a move (never posted).
  page.addEventListener("submit", async (e) => {
    const form = e.target.closest?.("[data-guess]");
    if (!form) return;
    e.preventDefault();
    const input = form.elements.guess;
    const body = input.value.trim();
    if (!body) return;
    // The screen may be redrawn before the answer comes (a close guess changes the view):
    // the box and its message are looked up again then.
    const current = (selector) => page.querySelector(`form[data-guess] ${selector}`);
    try {
      await live.act("table.chat", { table, channel: "table", body });
      const box = current("input[name=guess]");
      if (box) {
        box.value = "";
        box.dispatchEvent(new Event("input", { bubbles: true }));  // the kept draft too
      }
      const error = current(".form-error");
      if (error) error.textContent = "";
    } catch (err) {
      const error = current(".form-error");
      if (error) error.textContent = err.message;
    }
  });

  // New strokes from the server (every viewer's topic gets the same ones).
  page.addEventListener("estaminet:stream", (e) => {
    const data = e.detail;
    if (!server || !painter || data.turn !== server.turn || data.seq <= server.seq) return;
    fold(server.items, data.ops);
    server.seq = data.seq;
    if (canvas.dataset.drawer) {
      pending = pending.filter((b) => b.seq > data.seq);  // already drawn here
      return;
    }
    if (data.ops.some((op) => op[0] === "u")) painter.redraw(server.items);
    else for (const op of data.ops) painter.draw(op);
  });

  const init = () => {
    const found = page.querySelector("canvas[data-drawing]");
    if (!found || found === canvas) return;  // another part of the page was replaced
    let ink;
    try { ink = JSON.parse(found.dataset.ink); } catch { return; }
    const sameTurn = server && server.turn === ink.turn;
    if (!sameTurn) { pending = []; outbox = []; stroke = null; last = null; nextSeq = 0; }
    server = { turn: ink.turn, seq: ink.seq, items: ink.ops.map((op) => op.slice()) };
    pending = pending.filter((b) => b.seq > server.seq);
    if (sameTurn && canvas && canvas.dataset.drawer === found.dataset.drawer && !found.dataset.animate) {
      // Someone found, a hint came: the screen was redrawn, but the canvas is kept (its
      // pixels, and the drawer's stroke under way is not cut by someone else's move).
      canvas.setAttribute("aria-label", found.getAttribute("aria-label") || "");
      found.replaceWith(canvas);
      painter.redraw(shown());
      if (canvas.dataset.drawer) { swatches(); pressed(); }
      return;
    }
    canvas = found;
    painter = new Painter(canvas);
    if (canvas.dataset.animate) painter.animate(server.items);
    else painter.redraw(shown());
    if (canvas.dataset.drawer) {
      canvas.addEventListener("pointerdown", start);
      canvas.addEventListener("pointermove", move);
      canvas.addEventListener("pointerup", end);
      canvas.addEventListener("pointercancel", end);
      swatches();
      pressed();
      if (!timer) timer = setInterval(send, BATCH_MS);
    } else if (timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  init();
  document.addEventListener("estaminet:replaced", init);
}
