// Entry point: follow the topics the page declares, and wire each screen's behaviours.

import { Live } from "./live.js";
import { setupChat } from "./chat.js";
import { setupModeration } from "./moderation.js";
import { setupTable } from "./table.js";
import { setupSitting } from "./sitting.js";
import { setupSittingTabs } from "./sitting-tabs.js";
import { setupMicTest } from "./mic.js";
import { setupVoice } from "./voice.js";
import { setupVisibility } from "./agenda-form.js";
import { setupInbox } from "./inbox.js";

const live = new Live();
window.estaminet = live; // for tests and the browser console

for (const el of document.querySelectorAll("[data-topic]")) {
  live.follow(el.dataset.topic, el.dataset.seq);
}

for (const section of document.querySelectorAll(".chat[data-topic]")) setupChat(live, section);
for (const form of document.querySelectorAll("[data-moderation-form]")) setupModeration(live, form);
for (const page of document.querySelectorAll("[data-table]")) setupTable(live, page);
for (const page of document.querySelectorAll("[data-sitting]")) setupSitting(live, page);
for (const list of document.querySelectorAll("[data-sitting-tabs]")) setupSittingTabs(list);
for (const bar of document.querySelectorAll("section[data-voice]")) setupVoice(live, bar);
for (const page of document.querySelectorAll("[data-mic-test]")) setupMicTest(page);
for (const select of document.querySelectorAll("[data-visibility-select]")) setupVisibility(select);

for (const field of document.querySelectorAll("[data-select-on-focus]")) {
  field.addEventListener("focus", () => field.select());
}

if (document.body.dataset.me) {
  setupInbox(live, document.body.dataset.me, document.body.dataset.inboxSeq);
  live.watchNetwork();
  live.connect();
}
