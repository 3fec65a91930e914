// Secret ballots: the key holders' pages keep their share of each open ballot box's key.
// The view marks, for this person only, the shares it keeps ([data-ballot-key]) and their
// state: "pending" (fetch it, store it, confirm), "kept" (stored; fetch again if lost),
// "locked" (the server restarted: give it back so the votes can be counted). Shares travel
// only between this page and the server, in the acks of this socket, and are forgotten
// once the vote is counted or cancelled.

const PREFIX = "estaminet.ballot-key";

export function setupBallotKeys(live, page) {
  const table = Number(page.dataset.table);
  const done = new Set(); // "box|part|state" already handled on this page
  const slot = (box, part) => `${PREFIX}.${table}.${box}.${part}`;

  async function fetchShares() {
    const data = await live.act("ballot.keys", { table });
    for (const k of data.keys || []) localStorage.setItem(slot(k.box, k.part), k.share);
  }

  async function show(box, part) {
    const share = localStorage.getItem(slot(box, part));
    if (!share) return;
    try {
      await live.act("ballot.key", { table, box, part: Number(part), share });
    } catch (err) {
      if (err.code === "ballots/wrong_share") localStorage.removeItem(slot(box, part));
    }
  }

  async function handle(box, part, state) {
    if (state === "locked") return show(box, part);
    if (!localStorage.getItem(slot(box, part))) await fetchShares();
    if (state === "pending") await show(box, part);
  }

  function sync() {
    if (!page.querySelector("[data-ballot-keys-ready]")) return;
    const markers = [...page.querySelectorAll("[data-ballot-key]")];
    const wanted = new Set(markers.map((m) => slot(m.dataset.box, m.dataset.part)));
    for (let i = localStorage.length - 1; i >= 0; i -= 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith(`${PREFIX}.${table}.`) && !wanted.has(key)) localStorage.removeItem(key);
    }
    for (const m of markers) {
      const { box, part, state } = m.dataset;
      const id = `${box}|${part}|${state}`;
      if (done.has(id)) continue;
      done.add(id);
      handle(box, part, state).catch(() => done.delete(id));
    }
  }

  live.onOpen(() => { done.clear(); sync(); });
  document.addEventListener("estaminet:replaced", sync);
  sync();
}
