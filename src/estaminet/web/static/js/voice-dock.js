// The voice dock: on every page while this tab is in a conversation whose own panel is not on
// the page, which conversation, who is speaking, mute and leave; its link goes back there.
// Its audio box holds the calls' <audio> elements, so they keep playing while pages change.

function fill(template, values) {
  return (template || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

export class Dock {
  constructor(actions) {
    this.actions = actions;
    this.root = null;
  }

  // Found on first use: the module loads before the page's body is parsed in some pages.
  get els() {
    if (this.root) return this.found;
    const root = document.querySelector("[data-voice-dock]");
    if (!root) return null;
    this.root = root;
    this.found = {
      link: root.querySelector("[data-voice-dock-link]"),
      name: root.querySelector("[data-voice-dock-name]"),
      who: root.querySelector("[data-voice-dock-who]"),
      mute: root.querySelector("[data-voice-dock-mute]"),
      leave: root.querySelector("[data-voice-dock-leave]"),
    };
    this.found.mute.addEventListener("click", () => this.actions.mute());
    this.found.leave.addEventListener("click", () => {
      const hadFocus = root.contains(document.activeElement);
      this.actions.leave();
      if (hadFocus) document.getElementById("main")?.focus({ preventScroll: true });
    });
    return this.found;
  }

  /** Show `voice` (a Voice in a call, or null): hidden while its own bar is on the page. */
  show(voice) {
    const els = this.els;
    if (!els) return;
    const visible = !!voice && voice.wanted && !voice.bar.isConnected;
    this.root.hidden = !visible;
    document.body.classList.toggle("in-voice", !!voice?.joined);
    if (!visible) return;
    const t = this.root.dataset;
    els.link.href = voice.home;
    els.name.textContent = voice.place;
    const me = document.body.dataset.me;
    const speaking = voice.members.filter((m) => m.speaking).map((m) => m.name);
    const others = voice.members.filter((m) => m.id !== me).map((m) => m.name);
    let who = others.join(", ");
    if (speaking.length === 1) who = fill(t.tSpeakingOne, { name: speaking[0] });
    else if (speaking.length > 1) who = fill(t.tSpeakingMany, { names: speaking.join(", ") });
    if (els.who.textContent !== who) els.who.textContent = who;
    this.root.classList.toggle("voice-dock--speaking", speaking.length > 0);
    this.root.classList.toggle("voice-dock--muted", voice.muted);
    els.mute.textContent = voice.muted ? t.tUnmute : t.tMute;
    els.mute.setAttribute("aria-pressed", String(voice.muted));
  }
}
