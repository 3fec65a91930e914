// Entry point: follow the topics the page declares, wire each screen's behaviours, and keep
// this document (its live connection, the voice call) while moving around (./shell.js).
//
// A page names the screen modules its controls need (`data-modules` on #page, from the
// templates' `needs_module`); only those are loaded, on a full load (the head preloads them)
// as when the shell swaps a page in (it imports them before showing the page, so no control
// is on screen before its script: docs/performance.md).

import { Live } from "./live.js";
import { Shell } from "./shell.js";
import { setupInbox } from "./inbox.js";

const live = new Live();
window.estaminet = live; // for tests and the browser console

// Each screen module: how to import it (a relative address, so it comes from the same
// versioned folder as this file) and how it wires a page. `wire` returns what undoes it, if
// anything beyond the page's AbortSignal.
const SCREENS = {
  chat: {
    load: () => import("./chat.js"),
    wire: (m, root, signal) => each(root, ".chat[data-topic]", (el) => m.setupChat(live, el, signal)),
  },
  moderation: {
    load: () => import("./moderation.js"),
    wire: (m, root, signal) => each(root, "[data-moderation-form]", (el) => m.setupModeration(live, el, signal)),
  },
  table: {
    load: () => import("./table.js"),
    wire: (m, root) => each(root, "[data-table]", (el) => m.setupTable(live, el)),
  },
  sitting: {
    load: () => import("./sitting.js"),
    wire: (m, root, signal) => each(root, "[data-sitting]", (el) => m.setupSitting(live, el, signal)),
  },
  "sitting-tabs": {
    load: () => import("./sitting-tabs.js"),
    wire: (m, root, signal) => each(root, "[data-sitting-tabs]", (el) => m.setupSittingTabs(el, signal)),
  },
  voice: {
    load: () => import("./voice.js"),
    wire: (m, root) => each(root, "section[data-voice]", (el) => m.setupVoice(live, el)),
  },
  mic: {
    load: () => import("./mic.js"),
    wire: (m, root) => each(root, "[data-mic-test]", (el) => m.setupMicTest(el)),
  },
  "agenda-form": {
    load: () => import("./agenda-form.js"),
    wire: (m, root) => each(root, "[data-visibility-select]", (el) => m.setupVisibility(el)),
  },
  share: {
    load: () => import("./share.js"),
    wire: (m, root) => each(root, "[data-share-link]", (el) => m.setupShare(el)),
  },
  tour: {
    load: () => import("./tour.js"),
    wire: (m, root, signal) => each(root, "[data-tour]", (el) => m.setupTour(el, signal)),
  },
  drawing: {
    load: () => import("./drawing.js"),
    wire: (m, root) => each(root, ".table-page", (el) => m.setupDrawing(live, el)),
  },
  "game-picker": {
    load: () => import("./game-picker.js"),
    wire: (m, root, signal) => each(root, "[data-game-picker]", (el) => m.setupGamePicker(el, signal)),
  },
  soiree: {
    load: () => import("./soiree.js"),
    wire: (m, root, signal) => each(root, ".soiree-follow", (el) => m.setupSoiree(el, signal)),
  },
  stage: {
    load: () => import("./stage.js"),
    wire: (m, root) => each(root, "section[data-stage][data-topic]", (el) => m.setupStage(live, el)),
  },
  "stage-keep": {
    load: () => import("./stage-keep.js"),
    wire: (m, root) => each(root, "[data-stage-keep]", (el) => m.setupStageKeep(live, el)),
  },
  "stage-table": {
    load: () => import("./stage-table.js"),
    wire: (m, root) => each(root, "[data-stage-table]", (el) => m.setupStageTable(live, el)),
  },
  "board-camera": {
    load: () => import("./board-camera.js"),
    wire: (m, root) => each(root, "section.card[data-board]", (el) => m.setupBoard(live, el)),
  },
  help: {
    load: () => import("./help.js"),
    wire: (m, root, signal) => [
      ...each(root, "[data-help-ask]", (el) => m.setupHelpAsk(el)),
      ...each(root, "[data-help-say]", (el) => m.setupHelpSay(live, el, signal)),
    ],
  },
};

const ready = new Map(); // screen name -> its module, once imported

function each(root, selector, setup) {
  return [...root.querySelectorAll(selector)].map(setup);
}

// A screen's controls, by the selector its wiring looks for: a fragment drawn apart from the
// page's own templates (a room's panels, a table's banner) may carry controls its page did
// not declare; their module is then imported all the same before the page shows.
const MARKERS = {
  chat: ".chat[data-topic]",
  moderation: "[data-moderation-form]",
  table: "[data-table]",
  drawing: ".table-page",
  sitting: "[data-sitting]",
  "sitting-tabs": "[data-sitting-tabs]",
  voice: "section[data-voice]",
  mic: "[data-mic-test]",
  "agenda-form": "[data-visibility-select]",
  share: "[data-share-link]",
  tour: "[data-tour]",
  "game-picker": "[data-game-picker]",
  soiree: ".soiree-follow",
  stage: "section[data-stage][data-topic]",
  "stage-keep": "[data-stage-keep]",
  "stage-table": "[data-stage-table]",
  "board-camera": "section.card[data-board]",
  help: "[data-help-ask], [data-help-say]",
};

function screensOf(root) {
  const named = (root.dataset.modules || "").split(/\s+/).filter((name) => SCREENS[name]);
  const found = Object.keys(MARKERS).filter((name) => !named.includes(name) && root.querySelector(MARKERS[name]));
  return [...named, ...found];
}

// Import the screen modules a page declares, all at once; rejects if one failed.
async function prepare(root) {
  const results = await Promise.allSettled(screensOf(root).map(async (name) => {
    if (!ready.has(name)) ready.set(name, await SCREENS[name].load());
  }));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}

// A control held until its page is wired (estaminet.css) takes no tap, but a key pressed on
// it still clicks it: that click is kept (the last one) and done once the page is wired, so
// a keyboard's "Enter" pressed early on a slow phone is not lost in a button doing nothing.
const HELD = 'button[type="button"], form:not([action]) button';
let early = null;
document.addEventListener("click", (event) => {
  const page = event.target.closest?.("#page");
  if (!page || page.hasAttribute("data-ready") || page.dataset.modules === "") return;
  const control = event.target.closest(HELD);
  if (!control || !page.contains(control)) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  early = control;
}, true);

// Wire one page's content; returns what undoes it when the shell swaps the page.
function mount(root) {
  const done = new AbortController();
  const { signal } = done;
  const undo = [];
  let wired = true;
  for (const name of screensOf(root)) {
    const module = ready.get(name);
    if (!module) { wired = false; continue; } // its import failed: the page works as plain HTML
    for (const fn of SCREENS[name].wire(module, root, signal)) if (typeof fn === "function") undo.push(fn);
  }
  // The controls that need these scripts take taps from now on (estaminet.css); if one did
  // not load, they stay visibly held rather than usable but dead.
  if (wired) root.setAttribute("data-ready", "");
  const pressed = early;
  early = null;
  // After the start (the live connection asked for), as if pressed now.
  if (wired && pressed && root.contains(pressed)) setTimeout(() => pressed.isConnected && pressed.click());
  for (const field of root.querySelectorAll("[data-select-on-focus]")) {
    field.addEventListener("focus", () => field.select(), { signal });
  }
  return () => {
    done.abort();
    for (const fn of undo) fn();
  };
}

// The voice call outlives pages; before any page with a voice bar, there is none.
const voice = () => ready.get("voice");

for (const el of document.querySelectorAll("[data-topic]")) {
  live.follow(el.dataset.topic, el.dataset.seq);
}

async function start() {
  const first = document.getElementById("page") || document.body;
  try {
    await prepare(first); // preloaded by the head: on its way with this file
  } catch (error) {
    console.error("A screen module did not load:", error); // those controls stay plain HTML
  }
  const shell = new Shell({
    mount,
    prepare,
    live,
    kept: () => voice()?.callTopics() ?? [],
    inCall: () => voice()?.inCall() ?? false,
    hangUp: () => voice()?.hangUp(),
  });
  if (document.body.dataset.me) {
    setupInbox(live, document.body.dataset.me, document.body.dataset.inboxSeq);
    live.watchNetwork();
    live.connect();
    shell.start();
  }
}

start();
