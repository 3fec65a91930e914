// The first visit's tour on the floor plan (venue/_tour.html): one step at a time, with
// back and next. Finishing or skipping is the form's own POST to /me/tour, so the tour
// also works (every step at once) without JavaScript.

export function setupTour(root, signal) {
  const steps = [...root.querySelectorAll("[data-tour-step]")];
  const back = root.querySelector("[data-tour-back]");
  const next = root.querySelector("[data-tour-next]");
  const done = root.querySelector("[data-tour-done]");
  const count = root.querySelector("[data-tour-count]");
  if (!steps.length || !back || !next || !done || !count) return;
  let at = 0;

  function show(focus) {
    steps.forEach((step, i) => { step.hidden = i !== at; });
    back.hidden = at === 0;
    next.hidden = at === steps.length - 1;
    done.hidden = at !== steps.length - 1;
    count.hidden = false;
    count.textContent = root.dataset.tStep
      .replace("%(n)s", String(at + 1))
      .replace("%(total)s", String(steps.length));
    if (focus) steps[at].querySelector("h3")?.focus();
  }

  back.addEventListener("click", () => { at = Math.max(0, at - 1); show(true); }, { signal });
  next.addEventListener("click", () => { at = Math.min(steps.length - 1, at + 1); show(true); }, { signal });
  root.classList.add("tour--stepped");
  show(false);
}
