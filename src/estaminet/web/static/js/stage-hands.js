// La scène's raised hands (docs/stage.md): a watcher raises or lowers a hand and sees only
// their own place in line (topic `stagehand:<slug>:<me>`) and how many hands are up (the
// `stage` frame); an animator sees the queue with names (`stagedesk:<slug>`) and brings a
// person on stage or declines.

export const fill = (text, values) =>
  Object.entries(values).reduce((t, [k, v]) => t.replace(`%(${k})s`, String(v)), text || "");

export function setupHands(live, section, { slug, strings, refused }) {
  const box = section.querySelector("[data-stage-hand-box]");
  const button = section.querySelector("[data-stage-hand]");
  const status = section.querySelector("[data-stage-hand-status]");
  const count = section.querySelector("[data-stage-hands-count]");
  const list = section.querySelector("[data-stage-hands]");
  const undo = [];
  let raised = false;

  function showOwn(hand) {
    raised = !!hand.raised;
    if (!button) return;
    button.dataset.raised = String(raised);
    button.textContent = raised ? strings.lower : strings.raise;
    if (status) {
      status.textContent = raised
        ? fill(strings.handUp, { n: hand.position })
        : hand.declined ? strings.handDeclined : "";
    }
  }

  function answerButton(label, hand, accept) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = accept ? "button button--primary" : "button button--secondary";
    b.textContent = label;
    b.setAttribute("aria-label", `${label} : ${hand.name}`);
    b.addEventListener("click", () =>
      live.act("stage.answer", { room: slug, user: hand.id, accept }).catch(refused));
    return b;
  }

  function showDesk(hands) {
    if (!list) return;
    const rows = hands.map((hand, index) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = `${index + 1}. ${hand.name}`;
      li.append(name, answerButton(strings.accept, hand, true), answerButton(strings.decline, hand, false));
      return li;
    });
    if (!rows.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = strings.noHands;
      rows.push(li);
    }
    list.replaceChildren(...rows);
  }

  button?.addEventListener("click", () =>
    live.act("stage.hand", { room: slug, raised: !raised })
      .then((data) => showOwn({ raised: data.raised, position: data.position, declined: false }))
      .catch(refused));
  if (box) undo.push(live.on(box.dataset.topic, (frame) => { if (frame.hand) showOwn(frame.hand); }));
  const desk = list?.closest("[data-topic]");
  if (desk) {
    undo.push(live.on(desk.dataset.topic, (frame) => { if (frame.hands) showDesk(frame.hands); }));
    showDesk([]);
  }

  return {
    render(state, me) {
      if (count) count.textContent = state.hands ? fill(strings.handsCount, { n: state.hands }) : "";
      if (box) box.hidden = !state.janus || state.performers.some((p) => p.id === me);
    },
    close() { for (const fn of undo) fn(); },
  };
}
