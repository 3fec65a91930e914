// A games-room table on the stage (docs/stage.md): when the stage's state names a table, this
// page follows that table's spectator topic (`table:<id>:watch`, the one a spectator at the
// table follows: same frames, nothing more) and its board (cameras, the narrator's voice);
// when the table leaves the stage, it stops. The animator picks the table here.

import { showTextToast } from "./ops.js";

const loadBoard = () => import("./board-camera.js");

export function setupStageTable(live, root) {
  const slug = root.dataset.stageRoom;
  const stageTopic = `stage:${slug}`;
  const box = root.querySelector("[data-stage-table-box]");
  const viewBox = root.querySelector("[data-stage-table-view]");
  const boardBox = root.querySelector("[data-stage-table-board]");
  const title = root.querySelector("[data-stage-table-title]");
  const strings = root.querySelector("[data-stage-table-strings]")?.dataset || {};
  const choice = root.querySelector("[data-stage-table-choice]");
  const hideButtons = root.querySelectorAll("[data-stage-table-hide]");
  const refused = (frame) => showTextToast(frame?.message || String(frame));
  let current = null; // {id, view, board, undoBoard}
  let closed = false;

  function leave() {
    if (!current) return;
    live.unfollow(current.view);
    live.unfollow(current.board);
    current.undoBoard?.();
    viewBox.replaceChildren();
    boardBox.replaceChildren();
    current = null;
  }

  async function show(table) {
    if (current?.id === table?.id) return;
    leave();
    box.hidden = !table;
    for (const b of hideButtons) b.hidden = !table;
    if (!table) return;
    current = { ...table };
    if (title && choice) {
      const option = [...choice.options].find((o) => Number(o.value) === table.id);
      if (option) title.textContent = option.textContent;
    }
    // The spectator view: the table's own `replace #table-view` frames land here.
    const view = document.createElement("div");
    view.id = "table-view";
    viewBox.replaceChildren(view);
    live.follow(table.view, 0);
    // The board: cameras on the physical board, and the narrator's voice.
    const section = document.createElement("section");
    section.className = "board";
    section.dataset.board = String(table.id);
    section.setAttribute("data-board-hear", "");
    section.setAttribute("aria-label", strings.board || "");
    const feeds = document.createElement("div");
    feeds.className = "board-feeds";
    feeds.dataset.boardFeeds = "";
    feeds.setAttribute("role", "region");
    feeds.setAttribute("aria-label", strings.cameras || "");
    const empty = document.createElement("p");
    empty.className = "hint";
    empty.dataset.boardEmpty = "";
    empty.textContent = strings.noBoard || "";
    feeds.append(empty);
    const status = document.createElement("p");
    status.className = "board-status";
    status.dataset.boardStatus = "";
    status.setAttribute("role", "status");
    const texts = document.createElement("template");
    texts.dataset.boardStrings = "";
    texts.dataset.voice = strings.voice || "";
    texts.dataset.camera = strings.board || "";
    section.append(feeds, status, texts);
    boardBox.replaceChildren(section);
    const here = current;
    const { setupBoard } = await loadBoard();
    if (closed || current !== here) return;
    here.undoBoard = setupBoard(live, section);
    live.follow(table.board, 0);
  }

  // The game's countdowns ([data-deadline]), as the table page shows them (./table.js).
  const ticking = setInterval(() => {
    for (const el of viewBox.querySelectorAll("[data-deadline]")) {
      const left = Math.max(0, Math.round((Date.parse(el.dataset.deadline) - Date.now()) / 1000));
      const value = el.querySelector(".timer-value") || el;
      value.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    }
  }, 1000);

  const off = live.on(stageTopic, (frame) => {
    if (frame.stage && "table" in frame.stage) show(frame.stage.table);
  });

  root.querySelector("[data-stage-table-show]")?.addEventListener("click", () => {
    if (!choice?.value) return;
    live.act("stage.show_table", { room: slug, table: Number(choice.value) })
      .then(() => showTextToast(strings.shown)).catch(refused);
  });
  for (const b of hideButtons) {
    b.addEventListener("click", () => {
      live.act("stage.hide_table", { room: slug }).then(() => showTextToast(strings.hidden)).catch(refused);
    });
  }

  return () => {
    closed = true;
    clearInterval(ticking);
    off();
    leave();
  };
}
