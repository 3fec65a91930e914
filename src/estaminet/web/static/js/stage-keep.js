// What the stage keeps (docs/stage.md): the session on now (an agenda event or on the spot),
// « Enregistrement en cours » and the restream's state for everyone, from the `stage:<slug>`
// frames; for animators, open/close, recording and restream (`stage.open`, `stage.close`,
// `stage.record`, `stage.restream`), and the organisers' recordings list.

import { showTextToast } from "./ops.js";

export function setupStageKeep(live, box) {
  const slug = box.dataset.room;
  const topic = box.dataset.topic;
  const strings = box.querySelector("[data-stage-keep-strings]")?.dataset || {};
  const root = box.closest("section[data-stage]") || box; // the animator's tools are further down
  const $ = (sel) => root.querySelector(sel);
  const sessionBox = $("[data-stage-session]");
  const recNotice = $("[data-stage-recording]");
  const castNotice = $("[data-stage-restream]");
  const openForm = $("[data-stage-open-form]");
  const openTools = $("[data-stage-open-tools]");
  const recordButton = $("[data-stage-record]");
  const castForm = $("[data-stage-restream-form]");
  const castStop = $("[data-stage-restream-stop]");
  const list = $("[data-stage-recordings]");
  const refused = (error) => showTextToast(error?.message || String(error));
  let recording = "off";
  let takes = null;
  const when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
  });

  async function loadRecordings() {
    if (!list) return;
    try {
      const response = await fetch(list.dataset.src, { credentials: "same-origin" });
      if (response.ok) list.innerHTML = await response.text();
    } catch { /* the next change tries again */ }
  }

  function render(stage) {
    const session = stage.session;
    if (sessionBox) {
      sessionBox.hidden = !session;
      if (session) {
        $("[data-stage-session-title]").textContent = session.title || strings.onTheSpot;
        $("[data-stage-session-time]").textContent = session.starts_at ? `· ${when.format(new Date(session.starts_at))}` : "";
        const link = $("[data-stage-session-link]");
        $("[data-stage-session-link-box]").hidden = !session.link;
        if (session.link) link.href = session.link;
      }
    }
    recording = stage.recording || "off";
    if (recNotice) {
      recNotice.hidden = recording === "off" && !stage.recording_failed;
      recNotice.classList.toggle("stage-notice--on", recording === "on");
      recNotice.querySelector("[data-stage-recording-text]").textContent =
        recording === "on" ? strings.recOn : recording === "soon" ? strings.recSoon : strings.recFailed;
    }
    const cast = stage.restream || "off";
    if (castNotice) {
      castNotice.hidden = cast === "off";
      castNotice.textContent = strings[`cast${cast[0].toUpperCase()}${cast.slice(1)}`] || "";
      castNotice.dataset.state = cast;
    }
    if (openForm) openForm.hidden = !!session;
    if (openTools) openTools.hidden = !session;
    if (recordButton) {
      const on = recording !== "off";
      recordButton.textContent = on ? strings.recStop : strings.recStart;
      recordButton.setAttribute("aria-pressed", on ? "true" : "false");
    }
    if (castStop) castStop.hidden = cast === "off";
    if (list && stage.takes !== takes) { takes = stage.takes; loadRecordings(); }
  }

  const undo = [live.on(topic, (frame) => { if (frame.stage) render(frame.stage); })];

  openForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const title = openForm.elements.title.value.trim();
    live.act("stage.open", { room: slug, title }).then(() => { openForm.reset(); }, refused);
  });
  $("[data-stage-close]")?.addEventListener("click", () => live.act("stage.close", { room: slug }).catch(refused));
  recordButton?.addEventListener("click", () =>
    live.act("stage.record", { room: slug, record: recording === "off" }).catch(refused));
  castForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const address = castForm.elements.address.value;
    live.act("stage.restream", { room: slug, restream: true, address }).then(() => { castForm.reset(); }, refused);
  });
  castStop?.addEventListener("click", () => live.act("stage.restream", { room: slug, restream: false }).catch(refused));

  return () => { for (const fn of undo) fn(); };
}
