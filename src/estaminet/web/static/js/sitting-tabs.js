// The sitting page on a phone: the sitting, the room's voice and its chat as three tabs
// (WAI-ARIA tabs: arrow keys, Home, End). On a wide screen, or without JavaScript, the three
// are shown side by side or one after the other. A dot on a tab says something happened there:
// a new message in the chat, being in the conversation.

const NARROW = "(max-width: 47.99rem)";
const KEY = "estaminet.sitting-tab";

export function setupSittingTabs(list, signal) {
  const tabs = [...list.querySelectorAll("[role=tab]")];
  const panel = (tab) => document.getElementById(tab.getAttribute("aria-controls"));
  const narrow = window.matchMedia(NARROW);
  let current = null;
  try { current = sessionStorage.getItem(KEY); } catch { /* no storage: start on the sitting */ }
  if (!tabs.some((tab) => tab.dataset.tab === current)) current = tabs[0].dataset.tab;

  function mark(name, on, note) {
    const tab = tabs.find((t) => t.dataset.tab === name);
    if (!tab) return;
    tab.querySelector("[data-tab-dot]").hidden = !on;
    tab.querySelector("[data-tab-note]").textContent = on && note ? ` (${note})` : "";
  }

  function show(name, focus) {
    current = name;
    try { sessionStorage.setItem(KEY, name); } catch { /* the choice is not kept */ }
    for (const tab of tabs) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const box = panel(tab);
      if (box) box.hidden = !selected;
      if (selected && focus) tab.focus();
    }
    if (name === "chat") {
      mark("chat", false);
      const scroller = panel(tabs.find((t) => t.dataset.tab === "chat"))?.querySelector(".chat-scroll");
      if (scroller) scroller.scrollTop = scroller.scrollHeight;
    }
  }

  function apply() {
    const on = narrow.matches;
    list.hidden = !on;
    for (const tab of tabs) {
      const box = panel(tab);
      if (!box) continue;
      if (on) {
        box.setAttribute("role", "tabpanel");
        box.setAttribute("aria-labelledby", tab.id);
      } else {
        box.removeAttribute("role");
        box.removeAttribute("aria-labelledby");
        box.hidden = false;
      }
    }
    if (on) show(current, false);
  }

  list.addEventListener("click", (e) => {
    const tab = e.target.closest("[role=tab]");
    if (tab) show(tab.dataset.tab, false);
  });
  list.addEventListener("keydown", (e) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    show(tabs[(next + tabs.length) % tabs.length].dataset.tab, true);
  });
  narrow.addEventListener("change", apply, { signal });
  apply();

  // A new message while the chat is out of sight: a dot on its tab.
  const chatPanel = document.getElementById("sitting-panel-chat");
  document.addEventListener("estaminet:inserted", (e) => {
    const { node, fresh } = e.detail;
    if (fresh && chatPanel?.contains(node) && chatPanel.hidden) mark("chat", true, list.dataset.tNews);
  }, { signal });
  // Being in the conversation: a dot on the voice tab, wherever one is. Out of it, on a phone,
  // an offer to join above the tabs (it presses the voice bar's own button, then shows the bar).
  const bar = document.querySelector("#sitting-panel-voice section[data-voice]");
  const offer = document.querySelector("[data-sitting-join]");
  if (bar) {
    const joinButton = bar.querySelector("[data-voice-join]");
    const sync = () => {
      const joined = bar.classList.contains("voice--joined");
      mark("voice", joined, list.dataset.tInVoice);
      if (offer) offer.hidden = joined || !narrow.matches || joinButton.hidden;
    };
    new MutationObserver(sync).observe(bar, { attributes: true, attributeFilter: ["class"] });
    narrow.addEventListener("change", sync, { signal });
    offer?.querySelector("[data-sitting-join-button]").addEventListener("click", () => {
      show("voice", false);
      joinButton.click();
      offer.hidden = true;
    });
    sync();
  }
}
