// A room's chat: sending (with an outbox that survives reconnections), editing, deleting,
// history, and keeping the reader's scroll position.

import { passFocus, showTextToast } from "./ops.js";

const NEAR_BOTTOM = 80;

function newClientId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function setupChat(live, section, signal) {
  const room = section.closest("[data-room]").dataset.room;
  const scroller = section.querySelector(".chat-scroll");
  const form = section.querySelector("[data-chat-form]");
  const input = form?.querySelector("textarea");
  const error = form?.querySelector(".form-error");
  const newPill = section.querySelector(".new-messages");
  const t = document.body.dataset;
  const me = t.me;
  const isModerator = ["moderator", "admin"].includes(t.role);

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM;
  const toBottom = () => { scroller.scrollTop = scroller.scrollHeight; newPill.hidden = true; };

  function toolButton(action, text, label) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `link-button msg-${action}`;
    button.dataset.action = action;
    button.textContent = text;
    button.setAttribute("aria-label", label);
    return button;
  }

  // Messages arrive without tools (they are sent alike to everyone in the room): the
  // author gets "edit" and "delete", a moderator "delete".
  function decorate(node) {
    if (!node || !node.classList?.contains("msg")) return;
    const mine = !!node.dataset.author && node.dataset.author === me;
    node.classList.toggle("msg--mine", mine);
    if (node.querySelector(`.mention[data-user="${me}"]`)) node.classList.add("msg--mentions-me");
    if (node.classList.contains("msg--deleted") || node.querySelector(".msg-tools")) return;
    if (!mine && !isModerator) return;
    const tools = document.createElement("div");
    tools.className = "msg-tools";
    if (mine) tools.append(toolButton("edit", t.tEdit, t.tEditThis));
    tools.append(toolButton("delete", t.tDelete, t.tDeleteThis));
    node.querySelector(".msg-body")?.after(tools);
  }
  section.querySelectorAll(".msg").forEach(decorate);
  toBottom();

  // After a long absence the whole log is replaced (catch-up): decorate it again.
  document.addEventListener("estaminet:replaced", (e) => {
    const { node } = e.detail;
    if (node && section.contains(node)) node.querySelectorAll(".msg").forEach(decorate);
  }, { signal });

  let wasAtBottom = true;
  scroller.addEventListener("scroll", () => {
    wasAtBottom = atBottom();
    if (wasAtBottom) newPill.hidden = true;
  }, { passive: true });
  newPill.addEventListener("click", toBottom);

  document.addEventListener("estaminet:inserted", (e) => {
    const { node, fresh } = e.detail;
    if (!section.contains(node)) return;
    decorate(node);
    if (!fresh) return;
    if (wasAtBottom || node.dataset.author === me) toBottom();
    else newPill.hidden = false;
  }, { signal });

  // -- sending -------------------------------------------------------------
  function showError(message) {
    if (error) error.textContent = message || "";
  }

  async function send(body) {
    const clientId = newClientId();
    if (!live.online) showError(t.tNotSent);
    try {
      await live.act("chat.send", { room, body, client_id: clientId });
      showError("");
      return true;
    } catch (err) {
      showError(err.message);
      return false;
    }
  }

  form?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    // The text stays in the box until the server has it: nothing is lost.
    const sent = send(body);
    input.value = "";
    if (!(await sent)) {
      if (!input.value) input.value = body;
    }
    passFocus(form, input); // unless the person went elsewhere while it was on its way
  });
  input?.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  // -- history ---------------------------------------------------------------
  section.addEventListener("click", async (e) => {
    const more = e.target.closest("[data-history]");
    if (more) {
      e.preventDefault();
      const before = more.dataset.history;
      const response = await fetch(`/r/${encodeURIComponent(room)}/messages?before=${encodeURIComponent(before)}`, {
        headers: { accept: "text/html" }, credentials: "same-origin",
      });
      if (!response.ok) return;
      const html = await response.text();
      const holder = more.closest("li");
      const log = holder.parentElement;
      const previousHeight = scroller.scrollHeight;
      const tpl = document.createElement("template");
      tpl.innerHTML = html;
      const nodes = [...tpl.content.children].filter((n) => !(n.id && document.getElementById(n.id)));
      holder.remove();
      log.prepend(...nodes);
      nodes.forEach(decorate);
      scroller.scrollTop += scroller.scrollHeight - previousHeight;
      // Keep keyboard users in the log: focus the first message that just appeared.
      const first = nodes.find((n) => n.classList?.contains("msg")) || scroller;
      if (first !== scroller) first.setAttribute("tabindex", "-1");
      passFocus(holder, first, { preventScroll: true });
      return;
    }
    const tool = e.target.closest(".msg-tools button");
    if (!tool) return;
    const msg = tool.closest(".msg");
    const id = Number(msg.dataset.id);
    if (tool.dataset.action === "delete") {
      if (!confirm(t.tConfirmDelete)) return;
      live.act("chat.delete", { room, message: id }).catch((err) => showTextToast(err.message));
    } else if (tool.dataset.action === "edit") {
      startEdit(msg, id);
    }
  });

  // The text to edit is asked for when someone starts editing (messages do not carry it).
  async function startEdit(msg, id) {
    if (msg.querySelector(".msg-editor") || msg.dataset.opening) return;
    msg.dataset.opening = "1";
    let source;
    try {
      source = (await live.act("chat.source", { room, message: id })).body;
    } catch (err) {
      showTextToast(err.message);
      return;
    } finally {
      delete msg.dataset.opening;
    }
    if (!msg.isConnected || msg.querySelector(".msg-editor")) return;
    const editor = document.createElement("form");
    editor.className = "msg-editor";
    const area = document.createElement("textarea");
    area.value = source;
    area.rows = 3;
    area.setAttribute("aria-label", t.tEditLabel);
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "button";
    save.textContent = t.tSave;
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button button--secondary";
    cancel.textContent = t.tCancel;
    const problem = document.createElement("p");
    problem.className = "form-error";
    problem.setAttribute("role", "alert");
    editor.append(area, save, cancel, problem);
    msg.append(editor);
    area.focus();
    cancel.addEventListener("click", () => { editor.remove(); msg.querySelector("[data-action=edit]")?.focus(); });
    editor.addEventListener("keydown", (e) => { if (e.key === "Escape") cancel.click(); });
    editor.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await live.act("chat.edit", { room, message: id, body: area.value });
      } catch (err) {
        problem.textContent = err.message;
      }
    });
  }
}
