// The help desk (helpdesk/*.html): the ask form says whether the browser allows the
// microphone; the help corner's messages go over the live connection (``help.say``) and
// arrive, for both people, on the request's own topic. Without JavaScript both forms post.

export function setupHelpAsk(form) {
  const field = form.querySelector("[data-help-mic]");
  if (!field || !navigator.permissions?.query) return;
  navigator.permissions
    .query({ name: "microphone" })
    .then((status) => { field.value = status.state; })
    .catch(() => { /* this browser does not say: "unknown" stays */ });
}

export function setupHelpSay(live, form, signal) {
  const request = Number(form.dataset.helpSay);
  const box = form.querySelector("textarea");
  const error = form.querySelector("[data-help-error]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = box.value.trim();
    if (!body) return;
    error.hidden = true;
    live.act("help.say", { request, body }).then(
      () => { box.value = ""; box.focus(); },
      (failure) => { error.textContent = failure.message || ""; error.hidden = false; },
    );
  }, { signal });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  }, { signal });
}
