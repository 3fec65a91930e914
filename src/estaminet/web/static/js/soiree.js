// A soirée leads its people from table to table. Its banner (followed live on soiree:<id>)
// says where the evening is: the table in play, or the soirée's page with the podium. When
// it changes, the page of someone in the soirée goes there by itself, saying so.

export function setupSoiree(box, signal) {
  // "Go to the table in play" is no use on that table's own page.
  const tidy = () => {
    for (const a of box.querySelectorAll("[data-soiree-link]")) a.hidden = a.getAttribute("href") === location.pathname;
  };
  tidy();
  document.addEventListener("estaminet:replaced", tidy, { signal });
  if (!box.hasAttribute("data-soiree-follow")) return;
  const here = box.querySelector("[data-soiree-go]")?.dataset.soireeGo;
  const announce = box.querySelector("[data-soiree-announce]");
  document.addEventListener(
    "estaminet:replaced",
    (e) => {
      const node = e.detail?.node;
      if (!node?.matches?.("[data-soiree-go]") || !box.contains(node)) return;
      const go = node.dataset.soireeGo;
      if (!go || go === here || go === location.pathname) return;
      if (announce) {
        announce.textContent = go.startsWith("/t/") ? announce.dataset.tMoving : announce.dataset.tEnd;
      }
      const link = document.createElement("a");
      link.href = go;
      link.hidden = true;
      box.append(link);
      // A moment to hear where we go; then the link is followed (in the page when it can).
      setTimeout(() => link.click(), 600);
    },
    { signal },
  );
}
