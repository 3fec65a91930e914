// A game table's screen: action buttons, countdowns, the narrator's voice, the fade between
// night and day and the sound cues (./table-sound.js).

import { showTextToast } from "./ops.js";
import { cuesFor, screenState, setupSound } from "./table-sound.js";

const SPEAK_KEY = "estaminet.speak";

export function setupTable(live, page) {
  const table = Number(page.dataset.table);
  const error = page.querySelector(".table-error");

  page.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-table-action]");
    if (!button) return;
    e.preventDefault();
    let action;
    try { action = JSON.parse(button.dataset.tableAction); } catch { return; }
    const confirmText = button.dataset.confirm;
    if (confirmText && !confirm(confirmText)) return;
    button.disabled = true;
    try {
      await live.act("table.act", { table, action });
      if (error) error.textContent = "";
      answeredOnce(button);
    } catch (err) {
      if (error) error.textContent = err.message; else showTextToast(err.message);
      button.disabled = false;
    }
  });

  // Forms that compose an action (Cupid chooses two lovers, a spymaster gives a clue, a word is typed).
  page.addEventListener("submit", async (e) => {
    const form = e.target.closest("[data-table-form]");
    if (!form) return;
    e.preventDefault();
    const kind = form.dataset.tableForm;
    let action = null;
    if (kind === "cupid") {
      action = { type: "cupid", lovers: [Number(form.elements.a.value), Number(form.elements.b.value)] };
    }
    if (kind === "sheet") action = sheetAction(form, e.submitter?.name === "stop");
    if (kind === "clue") {  // Espions: a spymaster's word and number
      action = { type: "clue", word: form.elements.word.value, count: Number(form.elements.count.value) };
    }
    // One typed word (L'Intrus: a clue, Mr White's guess): {type: data-action, word}.
    if (kind === "word") action = { type: form.dataset.action, word: form.elements.word.value };
    if (kind === "answer") action = { type: "answer", text: form.elements.text.value };
    if (!action) return;
    try {
      await live.act("table.act", { table, action });
      if (error) error.textContent = "";
      answeredOnce(form);
    } catch (err) {
      if (error) error.textContent = err.message;
    }
  });

  // A watcher's answer (Le Quiz): the watchers share one screen, so "you have answered" is
  // kept here, per question ([data-once]), and shown again when the screen is re-rendered.
  const once = new Map();
  const markOnce = () => {
    for (const box of page.querySelectorAll("[data-once]")) {
      if (!once.has(box.dataset.once)) continue;
      box.classList.add("quiz-answer--sent");
      for (const control of box.querySelectorAll("button, input")) {
        control.disabled = true;
        if (control.dataset.tableAction === once.get(box.dataset.once)) {
          control.classList.add("choice--mine");
          control.setAttribute("aria-pressed", "true");
        }
      }
      const done = box.querySelector("[data-once-done]");
      if (done) done.hidden = false;
    }
  };
  const answeredOnce = (el) => {
    const box = el.closest("[data-once]");
    if (!box) return;
    once.set(box.dataset.once, el.dataset.tableAction || "");
    markOnce();
  };
  document.addEventListener("estaminet:replaced", markOnce);

  // An answer sheet (Le Petit Bac): its text fields become one action, saved when a field
  // changes; what is typed is kept while the screen is re-rendered by others' moves.
  const drafts = new Map();
  const sheetAction = (form, stop) => ({
    type: "answers",
    answers: [...form.querySelectorAll("input[name=answer]")].map((input) => input.value),
    stop,
  });
  page.addEventListener("input", (e) => {
    const key = e.target.dataset?.draft;
    if (key) drafts.set(key, e.target.value);
  });
  page.addEventListener("change", async (e) => {
    const form = e.target.closest?.("[data-table-form=sheet]");
    if (!form || !e.target.dataset.draft) return;
    try {
      await live.act("table.act", { table, action: sheetAction(form, false) });
      if (error) error.textContent = "";
    } catch (err) {
      if (error) error.textContent = err.message;
    }
  });
  document.addEventListener("estaminet:replaced", () => {
    for (const input of page.querySelectorAll("input[data-draft], select[data-draft]")) {
      const draft = drafts.get(input.dataset.draft);
      if (draft !== undefined && input.value !== draft) input.value = draft;
    }
  });

  // The table chat: the channel chooser is re-rendered by the server, the text box is kept.
  const chat = page.querySelector("[data-table-chat]");
  chat?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const box = chat.querySelector("textarea");
    const problem = chat.querySelector(".form-error");
    const channel = chat.querySelector("select[name=channel]")?.value;
    const body = box.value.trim();
    if (!body || !channel) return;
    try {
      await live.act("table.chat", { table, channel, body });
      box.value = "";
      problem.textContent = "";
    } catch (err) {
      problem.textContent = err.message;
    }
  });
  // The chooser is drawn again whenever the chat's rights change (nightfall, a death, another
  // person's move that ends a phase): the channel someone picked stays picked while they may
  // still write there, so that what they type goes where they chose.
  let channelChosen = null;
  chat?.addEventListener("change", (e) => {
    if (e.target.matches?.("select[name=channel]")) channelChosen = e.target.value;
  });
  document.addEventListener("estaminet:replaced", () => {
    const chooser = chat?.querySelector("select[name=channel]");
    if (chooser && channelChosen && chooser.value !== channelChosen
      && [...chooser.options].some((option) => option.value === channelChosen)) {
      chooser.value = channelChosen;
    }
  });
  chat?.querySelector("textarea")?.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      chat.requestSubmit();
    }
  });

  // Countdowns: every [data-deadline] shows the time left, updated each second.
  const tick = () => {
    for (const el of page.querySelectorAll("[data-deadline]")) {
      const left = Math.max(0, Math.round((Date.parse(el.dataset.deadline) - Date.now()) / 1000));
      const value = el.querySelector(".timer-value") || el;
      value.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      el.classList.toggle("timer--soon", left <= 15);
    }
  };
  tick();
  setInterval(tick, 1000);

  // The narrator's lines can be read aloud by the browser's own speech synthesis.
  const toggle = page.querySelector("[data-speak-toggle]");
  const spoken = new Set([...page.querySelectorAll("[data-speak]")].map((el) => el.dataset.speakId));
  if (toggle) {
    toggle.checked = localStorage.getItem(SPEAK_KEY) === "1";
    toggle.addEventListener("change", () => localStorage.setItem(SPEAK_KEY, toggle.checked ? "1" : "0"));
  }
  // When the game starts (or ends), each person's screen changes: load it afresh.
  const status = () => page.querySelector("[data-table-status]")?.dataset.tableStatus;
  const initialStatus = status();

  // Night falls, day rises: a calm wash over the table when the screen changes phase (none
  // with reduced motion: see table.css). The screen is replaced whole after every move, so the
  // change is noticed here, and the wash lives outside it so that a move does not cut it short.
  const fade = page.querySelector("[data-table-fade]");
  const cue = setupSound(page);
  let shown = screenState(page.querySelector("#table-view"));

  document.addEventListener("estaminet:replaced", () => {
    if (status() && status() !== initialStatus) {
      location.reload();
      return;
    }
    const view = page.querySelector("#table-view");
    if (view) {
      const now = screenState(view);
      if (fade && shown.phase && now.phase && now.phase !== shown.phase && (now.phase === "night" || shown.phase === "night")) {
        fade.classList.remove("table-fade--dusk", "table-fade--dawn");
        void fade.offsetWidth;  // start the animation again
        fade.classList.add(now.phase === "night" ? "table-fade--dusk" : "table-fade--dawn");
      }
      cue(cuesFor(shown, now));
      shown = now;
    }
    tick();
    const box = page.querySelector("[data-speak-toggle]");
    if (box && box !== toggle) box.checked = localStorage.getItem(SPEAK_KEY) === "1";
    for (const el of page.querySelectorAll("[data-speak]")) {
      const id = el.dataset.speakId;
      if (spoken.has(id)) continue;
      spoken.add(id);
      if (localStorage.getItem(SPEAK_KEY) === "1" && "speechSynthesis" in window) {
        const utterance = new SpeechSynthesisUtterance(el.textContent.trim());
        utterance.lang = document.documentElement.lang === "en" ? "en-GB" : "fr-BE";
        speechSynthesis.speak(utterance);
      }
    }
  });
}
