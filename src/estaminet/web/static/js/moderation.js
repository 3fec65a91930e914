// The moderation panel of a room: the people select follows presence live.

export function setupModeration(live, form, signal) {
  const room = form.closest("[data-room]").dataset.room;
  const select = form.querySelector("[data-people-select]");
  const status = form.querySelector(".form-status");
  const me = document.body.dataset.me;

  function fill() {
    const chosen = select.value;
    select.replaceChildren();
    for (const person of document.querySelectorAll(`[data-people="${CSS.escape(room)}"] .person[data-user]`)) {
      if (person.dataset.user === me) continue;
      const option = document.createElement("option");
      option.value = person.dataset.user;
      option.textContent = person.querySelector(".person-name").textContent;
      select.append(option);
    }
    if (chosen) select.value = chosen;
  }
  fill();
  document.addEventListener("estaminet:replaced", fill, { signal });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const action = e.submitter?.value;
    if (!action || !select.value) return;
    const data = {
      room, user: select.value,
      minutes: Number(form.elements.minutes.value) || 10,
      reason: form.elements.reason.value,
    };
    try {
      await live.act(action, data);
      status.textContent = "✓";
    } catch (err) {
      status.textContent = err.message;
    }
  });
}
