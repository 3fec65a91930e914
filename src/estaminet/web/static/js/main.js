// Entry point: follow the topics the page declares, and wire each screen's behaviours.
// A screen's module is loaded only when the page has that screen: a plain page (the
// agenda, a profile) never downloads the voice, the table or the sitting code.

import { Live } from "./live.js";
import { setupInbox } from "./inbox.js";

const live = new Live();
window.estaminet = live; // for tests and the browser console

for (const el of document.querySelectorAll("[data-topic]")) {
  live.follow(el.dataset.topic, el.dataset.seq);
}

// [selector, module, setup name, whether the setup takes the live connection]
const SCREENS = [
  [".chat[data-topic]", "./chat.js", "setupChat", true],
  ["[data-moderation-form]", "./moderation.js", "setupModeration", true],
  ["[data-table]", "./table.js", "setupTable", true],
  ["[data-sitting]", "./sitting.js", "setupSitting", true],
  ["[data-sitting-tabs]", "./sitting-tabs.js", "setupSittingTabs", false],
  ["section[data-voice]", "./voice.js", "setupVoice", true],
  ["[data-mic-test]", "./mic.js", "setupMicTest", false],
  ["[data-visibility-select]", "./agenda-form.js", "setupVisibility", false],
  ["[data-share-link]", "./share.js", "setupShare", false],
];

const present = SCREENS.map(([selector, ...rest]) => [document.querySelectorAll(selector), ...rest])
  .filter(([elements]) => elements.length > 0);
// Every module needed is fetched at once, then set up in a fixed order before connecting.
const modules = await Promise.all(present.map(([, path]) => import(path)));
present.forEach(([elements, , name, withLive], i) => {
  for (const el of elements) {
    if (withLive) modules[i][name](live, el);
    else modules[i][name](el);
  }
});

for (const field of document.querySelectorAll("[data-select-on-focus]")) {
  field.addEventListener("focus", () => field.select());
}

if (document.body.dataset.me) {
  setupInbox(live, document.body.dataset.me, document.body.dataset.inboxSeq);
  live.watchNetwork();
  live.connect();
}
