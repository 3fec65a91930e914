// An assembly sitting's forms: each [data-sitting-form] composes one action for `table.act`.
// Fields carry data-key ("vote.question" sets a nested field) and data-type (int, bool, lines;
// minutes: a number of minutes sent as seconds; optional: left out when empty).
// Ballot forms (data-ballot) collect ticked options or one grade per option.
// Text typed in a form survives the live re-rendering of the sitting.
// The key holders' pages keep their shares of secret ballot boxes' keys (ballot-keys.js).

import { setupBallotKeys } from "./ballot-keys.js";

function setPath(target, path, value) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key];
  }
  node[keys[keys.length - 1]] = value;
}

function readField(el) {
  const type = el.dataset.type;
  if (type === "bool") return el.checked;
  if (type === "int") return el.value === "" ? undefined : Number(el.value);
  if (type === "minutes") return el.value === "" ? undefined : Math.round(Number(el.value) * 60);
  if (type === "optional") return el.value === "" ? undefined : el.value;
  if (type === "lines") return el.value.split("\n").map((line) => line.trim()).filter(Boolean);
  return el.value.trim();
}

function compose(form) {
  const action = JSON.parse(form.dataset.sittingForm);
  for (const el of form.querySelectorAll("[data-key]")) {
    const value = readField(el);
    if (value !== undefined) setPath(action, el.dataset.key, value);
  }
  // The ballot's form (assembly/methods.py), whatever the method (data-ballot) is.
  if (form.dataset.form === "some") {
    action.ballot = [...form.querySelectorAll("input[data-option]:checked")].map((i) => Number(i.dataset.option));
  } else if (form.dataset.form === "grades") {
    action.ballot = [...form.querySelectorAll("input[data-option]:checked")].map((i) => ({
      option: Number(i.dataset.option),
      grade: Number(i.value),
    }));
  }
  return action;
}

export function setupSitting(live, page, signal) {
  const table = Number(page.dataset.table);
  const error = page.querySelector(".table-error");
  const drafts = new Map(); // element id -> value or checked state, kept across re-renders
  setupBallotKeys(live, page);

  page.addEventListener("input", (e) => {
    const el = e.target;
    if (!el.id || !el.closest("[data-sitting-form]")) return;
    drafts.set(el.id, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value);
  });
  page.addEventListener("change", (e) => {
    const el = e.target;
    if (el.id && el.closest("[data-sitting-form]")) {
      drafts.set(el.id, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value);
    }
  });

  page.addEventListener("submit", async (e) => {
    const form = e.target.closest("[data-sitting-form]");
    if (!form) return;
    e.preventDefault();
    let action;
    try { action = compose(form); } catch { return; }
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const panel = form.closest("details")?.id;
    try {
      await live.act("table.act", { table, action });
      for (const el of form.querySelectorAll("[id]")) drafts.delete(el.id);
      form.reset();
      // Done: fold the panel it was in (the page may have been re-rendered meanwhile).
      if (panel) document.getElementById(panel)?.removeAttribute("open");
      if (error) error.textContent = "";
    } catch (err) {
      if (error) error.textContent = err.message;
    } finally {
      if (button) button.disabled = false;
    }
  });

  document.addEventListener("estaminet:replaced", () => {
    for (const [id, value] of drafts) {
      const el = document.getElementById(id);
      if (!el || !page.contains(el)) { drafts.delete(id); continue; }
      if (el.type === "checkbox" || el.type === "radio") el.checked = value;
      else el.value = value;
    }
  }, { signal });
}
