// Entry point: follow the topics the page declares, wire each screen's behaviours, and keep
// this document (its live connection, the voice call) while moving around (./shell.js).

import { Live } from "./live.js";
import { Shell } from "./shell.js";
import { setupChat } from "./chat.js";
import { setupModeration } from "./moderation.js";
import { setupTable } from "./table.js";
import { setupSitting } from "./sitting.js";
import { setupSittingTabs } from "./sitting-tabs.js";
import { setupMicTest } from "./mic.js";
import { callTopics, hangUp, inCall, setupVoice } from "./voice.js";
import { setupVisibility } from "./agenda-form.js";
import { setupShare } from "./share.js";
import { setupInbox } from "./inbox.js";
import { setupTour } from "./tour.js";
import { setupHelpAsk, setupHelpSay } from "./help.js";
import { setupStage } from "./stage.js";

const live = new Live();
window.estaminet = live; // for tests and the browser console

for (const el of document.querySelectorAll("[data-topic]")) {
  live.follow(el.dataset.topic, el.dataset.seq);
}

// Wire one page's content; returns what undoes it when the shell swaps the page.
function mount(root) {
  const done = new AbortController();
  const { signal } = done;
  const undo = [];
  for (const section of root.querySelectorAll(".chat[data-topic]")) setupChat(live, section, signal);
  for (const form of root.querySelectorAll("[data-moderation-form]")) setupModeration(live, form, signal);
  for (const page of root.querySelectorAll("[data-table]")) setupTable(live, page);
  for (const page of root.querySelectorAll("[data-sitting]")) setupSitting(live, page, signal);
  for (const list of root.querySelectorAll("[data-sitting-tabs]")) setupSittingTabs(list, signal);
  for (const bar of root.querySelectorAll("section[data-voice]")) undo.push(setupVoice(live, bar));
  for (const page of root.querySelectorAll("[data-mic-test]")) undo.push(setupMicTest(page));
  for (const select of root.querySelectorAll("[data-visibility-select]")) setupVisibility(select);
  for (const row of root.querySelectorAll("[data-share-link]")) setupShare(row);
  for (const tour of root.querySelectorAll("[data-tour]")) setupTour(tour, signal);
  for (const form of root.querySelectorAll("[data-help-ask]")) setupHelpAsk(form);
  for (const form of root.querySelectorAll("[data-help-say]")) setupHelpSay(live, form, signal);
  for (const stage of root.querySelectorAll("section[data-stage][data-topic]")) undo.push(setupStage(live, stage));
  for (const field of root.querySelectorAll("[data-select-on-focus]")) {
    field.addEventListener("focus", () => field.select());
  }
  return () => {
    done.abort();
    for (const fn of undo) fn();
  };
}

const shell = new Shell({ mount, live, kept: callTopics, inCall, hangUp });

if (document.body.dataset.me) {
  setupInbox(live, document.body.dataset.me, document.body.dataset.inboxSeq);
  live.watchNetwork();
  live.connect();
  shell.start();
}
