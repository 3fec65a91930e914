// Voice in a room or at a game table: browser-to-browser calls (mesh) or a mixing server
// (./voice-janus.js), who is speaking, mute, push-to-talk, volumes, devices.
// The server says who may hear whom; this file only does what it is told (docs/voice.md).

import { Meter, SPEAK_LEVEL, fillDevices, micProblem, openMic, showMicHelp } from "./mic.js";
import { Dock } from "./voice-dock.js";
import { passFocus } from "./ops.js";

const SPEAK_HOLD = 600;        // ms of silence before the ring goes off
const SPEAK_MIN_GAP = 250;     // ms between two speaking notices sent to the server
const CARRY_KEY = "estaminet.voice";  // this tab's conversation, carried to the next page
const GROUP_TRIES = 5;         // a private call (the wolves' at night) is tried this often
const GROUP_RETRY_MS = 1000;   // ms before the second try, doubled for each one after
const CARRY_FOR = 60000;       // ms: a page opened this soon after leaving one rejoins by itself

// The conversation this tab is in. The shell (./shell.js) swaps pages without unloading
// this one, so the call, its peer connections and its audio (in the dock, outside the
// swapped page) live on; a page showing the same space's bar takes it up again.
let call = null;
let shown = null;              // the voice of the page's own bar, when it has one
const dock = new Dock({
  mute: () => call?.setMuted(!call.muted),
  leave: () => call?.leave(),
});

// Leaving the venue's pages ends the conversation: the browser asks first.
window.addEventListener("beforeunload", (e) => {
  if (!call?.joined) return;
  e.preventDefault();
  e.returnValue = "";
});

// The conversation this tab was in when its last page went away (sessionStorage: this tab
// only, so another tab never takes the voice over; a minute at most, so a microphone never
// opens by surprise long after).
function carried(space) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(CARRY_KEY) || "null");
    if (saved && saved.space === space && Date.now() - saved.at < CARRY_FOR) return saved;
  } catch { /* storage unavailable or garbled: offer to join instead */ }
  return null;
}

function fill(template, values) {
  return (template || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

function typing(target) {
  return !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

class Voice {
  constructor(live, bar) {
    this.live = live;
    this.space = bar.dataset.voice;
    this.home = location.pathname + location.search;
    this.place = "";
    this.joined = false;
    this.wanted = false;
    this.transport = null;
    this.stream = null;
    this.track = null;
    this.peers = new Map();     // user id -> {pc, name, sender, audio, pending, offerer}
    this.names = new Map();
    this.allow = { sendTo: new Set(), night: false, moderated: false, silenced: false, channels: [] };
    this.muted = false;
    this.ptt = false;
    this.pttHeld = false;
    this.speaking = false;
    this.lastLoud = 0;
    this.lastSent = 0;
    this.crowd = null;         // the call on the mixing server (./voice-janus.js), if any
    this.crowdLive = false;    // whether that call has connected once
    this.crowdServer = null;   // the Janus of the last ticket (several: a move is said)
    this.groups = new Map();   // private channel name -> {token, call} (its own mixing room)
    this.members = [];
    this.privateSpeaking = new Set();  // private-channel companions speaking (told to us only)
    this.micId = "";
    this.speakerId = "";
    this.gone = new AbortController();   // aborted when this voice is disposed of
    this.undo = [];
    this.listen();
    this.attach(bar);
    this.carryOn();
  }

  // Take a voice bar (the first one, or the same space's bar on a page shown again): its
  // buttons drive this call, and it shows the call as it is now.
  attach(bar) {
    this.bar = bar;
    this.t = bar.dataset;
    this.els = {
      join: bar.querySelector("[data-voice-join]"),
      mute: bar.querySelector("[data-voice-mute]"),
      leave: bar.querySelector("[data-voice-leave]"),
      pttButton: bar.querySelector("[data-voice-ptt-button]"),
      ptt: bar.querySelector("[data-voice-ptt]"),
      status: bar.querySelector("[data-voice-status]"),
      channel: bar.querySelector("[data-voice-channel]"),
      hint: bar.querySelector("[data-voice-hint]"),
      settings: bar.querySelector("[data-voice-settings]"),
      mic: bar.querySelector("[data-voice-mic]"),
      speaker: bar.querySelector("[data-voice-speaker]"),
      speakerLabel: bar.querySelector("[data-voice-speaker-label]"),
      volumes: bar.querySelector("[data-voice-volumes]"),
      audio: document.querySelector("[data-voice-dock-audio]") || bar.querySelector("[data-voice-audio]"),
      moderation: bar.querySelector("[data-voice-moderation]"),
    };
    this.wire();
    this.roomUndo?.();
    const room = document.querySelector("[data-room]")?.dataset.room;
    this.roomUndo = room ? this.live.on(`presence:${room}`, () => this.decorate()) : null;
    shown = this;
    if (!this.wanted) return;
    this.showJoined(this.joined);
    this.updateSenders();
    this.status();
    for (const audio of this.els.audio.querySelectorAll("audio[data-peer]")) this.addVolume(audio);
    if (this.track) fillDevices(this.els.mic, "audioinput", this.track.getSettings?.().deviceId);
    this.showMembers(this.members);
  }

  // The page that showed this voice's bar goes away: a call goes on (the dock shows it),
  // anything else is undone.
  release() {
    if (shown === this) shown = null;
    if (this.wanted) dock.show(this);
    else this.dispose();
  }

  dispose() {
    this.gone.abort();
    for (const undo of this.undo.splice(0)) undo();
    this.roomUndo?.();
    if (call === this) call = null;
    dock.show(call);
  }

  // A call whose page is gone ended (left from the dock, removed, taken elsewhere).
  settle() {
    if (!this.wanted && call === this) call = null;
    if (!this.bar.isConnected && !this.wanted) this.dispose();
    else dock.show(call);
  }

  // -- staying in the conversation from one page to the next ------------------------------

  carryOn() {
    const saved = carried(this.space);
    if (!saved) return;
    this.muted = !!saved.muted;
    this.micId = saved.micId || "";
    if (saved.ptt) {
      this.ptt = true;
      this.els.ptt.checked = true;
    }
    this.updateSenders();
    this.join();
  }

  remember() {
    try {
      if (!this.wanted) {
        sessionStorage.removeItem(CARRY_KEY);
        return;
      }
      sessionStorage.setItem(CARRY_KEY, JSON.stringify({
        space: this.space, muted: this.muted, ptt: this.ptt, micId: this.micId, at: Date.now(),
      }));
    } catch { /* private mode without storage: the next page offers to join */ }
  }

  // -- the page ---------------------------------------------------------------------

  wire() {
    const { els, live } = this;
    els.join.addEventListener("click", () => this.join());
    els.leave.addEventListener("click", () => this.leave());
    els.mute.addEventListener("click", () => this.setMuted(!this.muted));
    els.ptt.addEventListener("change", () => {
      this.ptt = els.ptt.checked;
      els.pttButton.hidden = !this.ptt || !this.joined;
      this.updateSenders();
    });
    const hold = (down) => (e) => {
      e.preventDefault();
      this.pttHeld = down;
      this.updateSenders();
    };
    els.pttButton.addEventListener("pointerdown", hold(true));
    for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
      els.pttButton.addEventListener(type, hold(false));
    }
    els.mic.addEventListener("change", () => this.changeMic(els.mic.value));
    els.speaker.addEventListener("change", () => this.changeSpeaker(els.speaker.value));
    els.moderation?.addEventListener("submit", (e) => this.moderate(e));
  }

  // What stays while this voice lives, whichever page shows it.
  listen() {
    const { live } = this;
    const signal = this.gone.signal;
    window.addEventListener("pagehide", () => this.remember(), { signal });
    document.addEventListener("keydown", (e) => this.key(e, true), { signal });
    document.addEventListener("keyup", (e) => this.key(e, false), { signal });
    document.addEventListener("click", (e) => {
      const button = e.target.closest("[data-voice-floor-unmute]");
      if (button && button.closest(`[data-voice-floor="${CSS.escape(this.space)}"]`)) this.setMuted(false);
    }, { signal });
    this.undo.push(
      live.onFrame("voice", (frame) => { if (frame.space === this.space) this.frame(frame); }),
      live.on(`voice:${this.space}`, (frame) => this.showMembers(frame.voice?.members)),
      live.onDown(() => { if (this.joined) this.say(this.t.tReconnecting); }),
      live.onOpen(() => { if (this.joined) this.rejoin(); }),
    );
    const room = document.querySelector("[data-room]")?.dataset.room;
    if (room) this.undo.push(live.on(`presence:${room}`, () => this.decorate()));
    // A game table's screen (its circle of players) is replaced after every move: light it again.
    document.addEventListener("estaminet:replaced", () => this.decorate(), { signal });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      for (const [id, entry] of this.peers) {
        if (entry.pc.connectionState === "failed") this.restart(id);
      }
    }, { signal });
  }

  key(e, down) {
    if (!this.joined || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (down && !e.repeat && (e.key === "m" || e.key === "M")) {
      e.preventDefault();
      this.setMuted(!this.muted);
    } else if (this.ptt && e.code === "Space") {
      e.preventDefault();
      if (this.pttHeld !== down) {
        this.pttHeld = down;
        this.updateSenders();
      }
    }
  }

  say(text) {
    this.els.status.textContent = text || "";
    dock.show(call);
  }

  showJoined(on) {
    const { els } = this;
    els.join.hidden = on;
    els.mute.hidden = !on;
    els.leave.hidden = !on;
    els.hint.hidden = !on;
    els.settings.hidden = !on;
    els.pttButton.hidden = !on || !this.ptt;
    this.bar.classList.toggle("voice--joined", on);
  }

  // -- joining -------------------------------------------------------------------------

  async join() {
    if (this.joined || this.busy) return;
    // The join button hides once in: keyboard and screen reader users go on from the mute button.
    const fromButton = document.activeElement === this.els.join;
    if (call && call !== this) call.leave();
    call = this;
    if (this.bar.isConnected) {
      this.home = location.pathname + location.search;
      this.place = document.querySelector("#main h1")?.textContent.trim() || document.title;
    }
    this.busy = true;
    this.wanted = true;
    this.say(this.t.tJoining);
    try {
      try {
        await this.startMic(this.micId);
      } catch (error) {
        this.wanted = false;
        this.say("");
        showMicHelp(this.bar, micProblem(error));
        this.settle();
        return;
      }
      showMicHelp(this.bar, null);
      await this.rejoin();
      if (fromButton && this.joined) passFocus(this.els.join, this.els.mute);
    } finally {
      this.busy = false;
    }
  }

  async startMic(deviceId) {
    const stream = await openMic(deviceId);
    this.stopMic();
    this.stream = stream;
    this.track = stream.getAudioTracks()[0];
    this.meter = new Meter(stream, (level) => this.level(level));
    fillDevices(this.els.mic, "audioinput", this.track.getSettings?.().deviceId);
    if ("setSinkId" in HTMLMediaElement.prototype) {
      this.els.speakerLabel.hidden = false;
      fillDevices(this.els.speaker, "audiooutput", this.speakerId);
    }
  }

  stopMic() {
    this.meter?.stop();
    this.meter = null;
    for (const t of this.stream?.getTracks() || []) t.stop();
    this.stream = null;
    this.track = null;
  }

  async rejoin() {
    this.closeCalls();
    let reply;
    try {
      reply = await this.live.act("voice.join", { space: this.space });
    } catch (error) {
      this.joined = false;
      // The mixing server down: the venue tells this tab when it is back ("back"), and
      // the call resumes by itself; any other refusal ends the wish to be in the call.
      if (error.code !== "voice/crowd_unavailable") this.wanted = false;
      this.showJoined(false);
      this.stopMic();
      this.say(error.message || "");
      this.settle();
      return;
    }
    this.joined = true;
    this.remember();
    this.transport = reply.transport;
    this.iceServers = reply.ice_servers || [];
    this.showJoined(true);
    this.setAllow(reply.allow || {});
    if (reply.transport === "janus") {
      await this.joinCrowd(reply);
    } else {
      for (const peer of reply.peers || []) {
        this.names.set(peer.id, peer.name);
        this.call(peer.id, true);
      }
    }
    this.status();
  }

  // The ticket the venue gave this tab lets it into one mixing room on Janus, once.
  async joinCrowd(reply) {
    this.crowdLive = false;
    // Several Janus servers: the room was placed on another one (its server died).
    if (this.crowdServer && reply.ticket.server !== this.crowdServer) this.say(this.t.tMoved);
    this.crowdServer = reply.ticket.server;
    try {
      const module = await import("./voice-janus.js");
      this.crowd = await module.joinCrowd({
        ticket: reply.ticket,
        iceServers: this.iceServers,
        stream: this.stream,
        onRemoteStream: (stream) => { this.audioFor("crowd").srcObject = stream; },
        onState: (state) => this.crowdState(state),
      });
    } catch {
      // Janus refused the ticket or could not be reached: out of the voice, said plainly.
      this.live.act("voice.leave", { space: this.space }).catch(() => {});
      this.end(this.t.tCrowdFailed);
      return;
    }
    this.crowd.setMuted(!this.sending()).catch(() => {});
  }

  // "connecting", "connected", "reconnecting", "failed" (./voice-janus.js).
  crowdState(state) {
    if (state === "connected") {
      this.crowdLive = true;
      this.status();
    } else if (state === "reconnecting") {
      this.say(this.t.tReconnecting);
    } else if (state === "failed" && this.crowdLive && this.joined) {
      // A call that worked broke (server restarted, ticket revoked, network): ask the venue
      // for a new ticket. If the server is down, the venue says so and tells us when it is back.
      this.crowdLive = false;
      this.say(this.t.tReconnecting);
      this.rejoin();
    }
  }

  async leave() {
    const fromButton = document.activeElement === this.els.leave;
    this.wanted = false;
    this.remember();
    if (this.joined) this.live.act("voice.leave", { space: this.space }).catch(() => {});
    this.end();
    if (fromButton) this.els.join.focus();
  }

  end(message) {
    this.joined = false;
    this.closeCalls();
    this.stopMic();
    this.showJoined(false);
    this.setSpeaking(false, false);
    this.say(message || "");
    this.settle();
  }

  closeCalls() {
    for (const id of [...this.peers.keys()]) this.hangUp(id);
    if (this.crowd) {
      try { this.crowd.leave(); } catch { /* already gone */ }
      this.crowd = null;
    }
    for (const name of [...this.groups.keys()]) this.leaveGroup(name);
    this.els.audio.replaceChildren();
    this.els.volumes.replaceChildren();
  }

  // -- what the server tells this tab ---------------------------------------------------

  frame(frame) {
    switch (frame.kind) {
      case "peer":
        if (frame.present) {
          this.names.set(frame.peer.id, frame.peer.name);
          if (frame.offer && this.joined) this.call(frame.peer.id, true);
        } else {
          this.hangUp(frame.peer.id);
        }
        return;
      case "signal":
        this.signal(frame.from, frame.signal);
        return;
      case "allow":
        this.setAllow(frame);
        this.status();
        return;
      case "speaking":
        this.markSpeaking(frame.user, frame.speaking);
        return;
      case "rejoin":
        if (this.joined) this.rejoin();
        return;
      case "moved":
        // The mixing server under this conversation went away: a new ticket, elsewhere.
        // (A call that already broke is asking for its new ticket: that one is enough.)
        this.say(frame.message || this.t.tMoved);
        if (this.joined && this.crowdLive) {
          this.crowdLive = false;
          this.rejoin();
        } else if (this.wanted && !this.joined) {
          this.join();
        }
        return;
      case "back":
        if (this.wanted && !this.joined) {
          this.say(this.t.tCrowdBack);
          this.join();
        }
        return;
      case "floor":
        this.floor(frame.handover);
        return;
      case "ended":
        this.wanted = false;
        this.remember();
        this.end(frame.message || (frame.reason === "elsewhere" ? this.t.tElsewhere : ""));
        return;
    }
  }

  setAllow(allow) {
    this.allow = {
      sendTo: new Set(allow.send_to || []),
      night: !!allow.night,
      moderated: !!allow.muted_by_moderator,
      silenced: !!allow.silenced,
      channels: allow.channels || [],
    };
    if (this.allow.silenced || this.allow.moderated) this.showFloor(null); // the floor has moved on
    this.updateSenders();
    this.syncGroups();
  }

  // On a mixing server, a private channel (the Werewolves at night) is a mixing room of its
  // own: the venue sends its ticket only to its members, in their "allow" frame. Join it with
  // a second call carrying the same microphone; leave it when the channel is no longer listed.
  syncGroups() {
    const wanted = new Map();
    if (this.joined && this.transport === "janus") {
      for (const channel of this.allow.channels) {
        if (channel.ticket) wanted.set(channel.name, channel.ticket);
      }
    }
    for (const [name, entry] of [...this.groups]) {
      if (wanted.get(name)?.token !== entry.token) this.leaveGroup(name);
    }
    for (const [name, ticket] of wanted) {
      if (!this.groups.has(name)) this.joinGroup(name, ticket);
    }
  }

  // A private call that could not connect, or that broke, is tried again (a few times, waiting
  // longer each time) while the channel lasts: a wolf whose line hiccups is not left out of
  // the night. A call that connected starts the count again.
  async joinGroup(name, ticket, attempt = 0) {
    const entry = { token: ticket.token, call: null, timer: null };
    this.groups.set(name, entry);
    let broken = false;
    const again = (error) => {
      // A refused join says "failed" and throws: one more try, not two.
      if (broken || this.groups.get(name) !== entry) return; // or left, or a new ticket came
      broken = true;
      console.warn("private voice channel:", error);
      try { entry.call?.leave(); } catch { /* already gone */ }
      entry.call = null;
      if (attempt + 1 >= GROUP_TRIES) {
        this.groups.delete(name); // the next "allow" frame that lists it tries again
        return;
      }
      entry.timer = setTimeout(() => {
        if (this.groups.get(name) === entry) this.joinGroup(name, ticket, attempt + 1);
      }, GROUP_RETRY_MS * 2 ** attempt);
    };
    let call;
    try {
      const module = await import("./voice-janus.js");
      call = await module.joinCrowd({
        ticket,
        iceServers: this.iceServers,
        stream: this.stream,
        onRemoteStream: (stream) => { this.audioFor(`crowd:${name}`).srcObject = stream; },
        onState: (state) => {
          if (state === "connected") attempt = 0;
          else if (state === "failed") again(new Error("the call broke"));
        },
      });
    } catch (error) {
      again(error);
      return;
    }
    if (this.groups.get(name) !== entry) {
      call.leave(); // the channel closed while we were joining it
      return;
    }
    entry.call = call;
    call.setMuted(!this.sending()).catch(() => {});
  }

  leaveGroup(name) {
    const entry = this.groups.get(name);
    this.groups.delete(name);
    clearTimeout(entry?.timer);
    try { entry?.call?.leave(); } catch { /* already gone */ }
    this.els.audio.querySelector(`audio[data-peer="${CSS.escape(`crowd:${name}`)}"]`)?.remove();
  }

  status() {
    if (!this.joined) return;
    const { allow, t } = this;
    let text = t.tJoined;
    if (allow.moderated) text = t.tModeratorMuted;
    else if (allow.silenced) text = t.tSilenced;
    else if (allow.night) text = t.tNight;
    else if (this.muted) text = t.tMuted;
    else if (!allow.sendTo.size && this.peers.size) text = t.tListenOnly;
    this.say(text);
    const channel = allow.channels[0];
    this.els.channel.hidden = !channel;
    if (channel) {
      const names = channel.members.filter((id) => id !== document.body.dataset.me)
        .map((id) => this.names.get(id) || "?");
      this.els.channel.textContent = fill(t.tPrivate, { names: names.join(", ") });
    }
  }

  // The floor was just handed to this person (an assembly's speaking queue): the venue lifted
  // the silence for them; their own microphone is theirs alone, so when it is off they are
  // asked (docs/voice.md, "A sitting's floor").
  floor(handover) {
    if (!this.joined) return;
    this.showFloor(handover === "ask" ? "ask" : handover === "open" ? "open" : null);
    this.status();
  }

  showFloor(kind) {
    for (const box of document.querySelectorAll(`[data-voice-floor="${CSS.escape(this.space)}"]`)) {
      box.hidden = !kind;
      const text = box.querySelector("[data-voice-floor-text]");
      if (text) text.textContent = kind === "ask" ? this.t.tFloorAsk : kind === "open" ? this.t.tFloorOpen : "";
      const button = box.querySelector("[data-voice-floor-unmute]");
      if (button) button.hidden = kind !== "ask";
      if (kind === "open") setTimeout(() => { if (text?.textContent === this.t.tFloorOpen) box.hidden = true; }, 8000);
    }
  }

  // -- mesh calls ------------------------------------------------------------------------

  call(id, offerer) {
    this.hangUp(id);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const entry = { pc, offerer, pending: [], sender: null, audio: null };
    this.peers.set(id, entry);
    entry.sender = pc.addTrack(this.track, this.stream);
    entry.sender.replaceTrack(this.outgoing(id));
    pc.addEventListener("track", (e) => {
      const audio = this.audioFor(id);
      audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      entry.audio = audio;
    });
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate) this.send(id, { type: "candidate", candidate: e.candidate.toJSON() });
    });
    pc.addEventListener("connectionstatechange", () => {
      const state = pc.connectionState;
      if (state === "connected") this.status();
      else if (state === "disconnected") this.say(this.t.tReconnecting);
      else if (state === "failed") this.restart(id);
    });
    if (offerer) this.offer(id, false);
    return entry;
  }

  async offer(id, iceRestart) {
    const entry = this.peers.get(id);
    if (!entry) return;
    try {
      const offer = await entry.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await entry.pc.setLocalDescription(offer);
      this.send(id, { type: "offer", sdp: offer.sdp });
    } catch { /* the peer left meanwhile */ }
  }

  // The network changed under a call: the caller renegotiates with new ICE candidates.
  restart(id) {
    const entry = this.peers.get(id);
    if (!entry || !this.joined) return;
    this.say(this.t.tReconnecting);
    if (entry.offerer) {
      entry.pc.restartIce?.();
      this.offer(id, true);
    } else {
      this.send(id, { type: "restart" });
    }
  }

  async signal(from, signal) {
    if (!this.joined || this.transport !== "mesh" || !signal) return;
    let entry = this.peers.get(from);
    try {
      if (signal.type === "offer") {
        if (!entry) entry = this.call(from, false);
        await entry.pc.setRemoteDescription({ type: "offer", sdp: signal.sdp });
        await this.flush(entry);
        const answer = await entry.pc.createAnswer();
        await entry.pc.setLocalDescription(answer);
        this.send(from, { type: "answer", sdp: answer.sdp });
      } else if (signal.type === "answer" && entry) {
        await entry.pc.setRemoteDescription({ type: "answer", sdp: signal.sdp });
        await this.flush(entry);
      } else if (signal.type === "candidate" && entry) {
        if (entry.pc.remoteDescription) await entry.pc.addIceCandidate(signal.candidate);
        else entry.pending.push(signal.candidate);
      } else if (signal.type === "restart" && entry?.offerer) {
        this.restart(from);
      }
    } catch { /* a stale message from a call that was replaced */ }
  }

  async flush(entry) {
    for (const candidate of entry.pending.splice(0)) {
      try { await entry.pc.addIceCandidate(candidate); } catch { /* stale */ }
    }
  }

  send(to, signal) {
    this.live.act("voice.signal", { space: this.space, to, signal }).catch(() => {});
  }

  hangUp(id) {
    const entry = this.peers.get(id);
    if (!entry) return;
    this.peers.delete(id);
    entry.pc.close();
    this.els.audio.querySelector(`[data-peer="${CSS.escape(id)}"]`)?.remove();
    this.els.volumes.querySelector(`[data-peer="${CSS.escape(id)}"]`)?.remove();
    this.status();
  }

  audioFor(id) {
    let audio = this.els.audio.querySelector(`audio[data-peer="${CSS.escape(id)}"]`);
    if (audio) return audio;
    audio = document.createElement("audio");
    audio.autoplay = true;
    audio.dataset.peer = id;
    if (this.speakerId && audio.setSinkId) audio.setSinkId(this.speakerId).catch(() => {});
    this.els.audio.append(audio);
    this.addVolume(audio);
    audio.play?.().catch(() => {});
    return audio;
  }

  // Each person's volume slider (none for a mixing server's one stream).
  addVolume(audio) {
    const id = audio.dataset.peer;
    if (id === "crowd" || id.startsWith("crowd:")) return;
    const item = document.createElement("li");
    item.dataset.peer = id;
    const label = document.createElement("label");
    label.textContent = fill(this.t.tVolume, { name: this.names.get(id) || "?" });
    const slider = document.createElement("input");
    slider.type = "range";
    slider.min = "0";
    slider.max = "1";
    slider.step = "0.05";
    slider.value = String(audio.volume);
    slider.addEventListener("input", () => { audio.volume = Number(slider.value); });
    label.append(slider);
    item.append(label);
    this.els.volumes.append(item);
  }

  // -- sending, muting, speaking ---------------------------------------------------------

  sending() {
    return !!this.track && !this.muted && !this.allow.moderated && (!this.ptt || this.pttHeld);
  }

  outgoing(id) {
    return this.sending() && this.allow.sendTo.has(id) ? this.track : null;
  }

  updateSenders() {
    for (const [id, entry] of this.peers) {
      const track = this.outgoing(id);
      if (entry.sender && entry.sender.track !== track) entry.sender.replaceTrack(track).catch(() => {});
    }
    this.crowd?.setMuted(!this.sending()).catch(() => {});
    for (const { call } of this.groups.values()) call?.setMuted(!this.sending()).catch(() => {});
    if (!this.sending()) this.setSpeaking(false);
    const { mute } = this.els;
    mute.setAttribute("aria-pressed", String(this.muted));
    mute.textContent = this.muted ? this.t.tUnmute : this.t.tMute;
    mute.classList.toggle("button--secondary", this.muted);
    dock.show(call);
  }

  setMuted(muted) {
    this.muted = muted;
    this.updateSenders();
    this.status();
    this.remember();
    if (!muted) this.showFloor(null);
    if (this.joined) this.live.act("voice.mute", { space: this.space, muted }).catch(() => {});
  }

  // Speaking starts with the first loud moment and lasts until SPEAK_HOLD ms of quiet (the
  // ring does not flicker between words; noise suppression keeps background noise out).
  level(rms) {
    const now = performance.now();
    if (this.sending() && rms > SPEAK_LEVEL) {
      this.lastLoud = now;
      if (!this.speaking) this.setSpeaking(true);
    } else if (this.speaking && now - this.lastLoud > SPEAK_HOLD) {
      this.setSpeaking(false);
    }
  }

  // Tell the server (coalesced: at most one notice every SPEAK_MIN_GAP ms).
  setSpeaking(speaking, tell = true) {
    if (this.speaking === speaking) return;
    this.speaking = speaking;
    if (!tell || !this.joined) return;
    clearTimeout(this.speakTimer);
    const wait = Math.max(0, this.lastSent + SPEAK_MIN_GAP - performance.now());
    this.speakTimer = setTimeout(() => {
      this.lastSent = performance.now();
      this.live.act("voice.speaking", { space: this.space, speaking: this.speaking }).catch(() => {});
    }, wait);
  }

  // -- devices ---------------------------------------------------------------------------

  async changeMic(deviceId) {
    this.micId = deviceId;
    if (!this.joined) return;
    try {
      await this.startMic(deviceId);
    } catch (error) {
      showMicHelp(this.bar, micProblem(error));
      return;
    }
    for (const [id, entry] of this.peers) entry.sender?.replaceTrack(this.outgoing(id)).catch(() => {});
    this.crowd?.replaceTrack(this.track).catch(() => {});
    for (const { call } of this.groups.values()) call?.replaceTrack(this.track).catch(() => {});
  }

  changeSpeaker(deviceId) {
    this.speakerId = deviceId;
    for (const audio of this.els.audio.querySelectorAll("audio")) {
      audio.setSinkId?.(deviceId).catch(() => {});
    }
  }

  // -- who is in the voice ------------------------------------------------------------

  showMembers(members) {
    if (!members) return;
    this.members = members;
    for (const m of members) this.names.set(m.id, m.name);
    for (const id of this.privateSpeaking) if (!members.some((m) => m.id === id)) this.privateSpeaking.delete(id);
    this.decorate();
    dock.show(call);
    const select = this.bar.querySelector("[data-voice-people]");
    if (select) {
      const me = document.body.dataset.me;
      const chosen = select.value; // the list changes as people speak: keep the moderator's pick
      select.replaceChildren(...members.filter((m) => m.id !== me).map((m) => {
        const option = document.createElement("option");
        option.value = m.id;
        option.textContent = m.name;
        option.selected = m.id === chosen;
        return option;
      }));
    }
  }

  // The room's people list shows who is in the voice and who speaks (a ring).
  decorate() {
    const byId = new Map(this.members.map((m) => [m.id, m]));
    for (const li of document.querySelectorAll("[data-people] li[data-user]")) {
      const m = byId.get(li.dataset.user);
      li.classList.toggle("person--voice", !!m);
      li.classList.toggle("person--speaking", !!m?.speaking || this.privateSpeaking.has(li.dataset.user));
      li.classList.toggle("person--muted", !!m?.muted);
    }
  }

  // A private-channel companion speaks (told only to the channel's members).
  markSpeaking(userId, speaking) {
    if (speaking) this.privateSpeaking.add(userId); else this.privateSpeaking.delete(userId);
    for (const el of document.querySelectorAll(`[data-voice-members] [data-user="${CSS.escape(userId)}"], [data-people] li[data-user="${CSS.escape(userId)}"]`)) {
      el.classList.toggle(el.matches("li.person") ? "person--speaking" : "voice-member--speaking", speaking);
    }
  }

  async moderate(e) {
    e.preventDefault();
    const form = e.target;
    const status = form.querySelector(".form-status");
    const user = form.querySelector("[data-voice-people]").value;
    const action = e.submitter?.value || "mute";
    if (!user) return;
    try {
      await this.live.act("voice.moderate", { space: this.space, user, action });
      status.textContent = "✓";
    } catch (error) {
      status.textContent = error.message || "";
    }
  }

  // -- for tests and the curious: what the calls carry -----------------------------------

  async stats() {
    const peers = {};
    for (const [id, entry] of this.peers) {
      let inbound = 0;
      let outbound = 0;
      const report = await entry.pc.getStats();
      report.forEach((s) => {
        if (s.kind !== "audio" && s.mediaType !== "audio") return;
        if (s.type === "inbound-rtp") inbound += s.bytesReceived || 0;
        if (s.type === "outbound-rtp") outbound += s.bytesSent || 0;
      });
      peers[id] = { name: this.names.get(id), inbound, outbound, state: entry.pc.connectionState,
        sending: !!entry.sender?.track };
    }
    const crowd = this.crowd ? await this.crowd.stats() : null;
    const groups = {};
    for (const [name, { call }] of this.groups) groups[name] = call ? await call.stats() : null;
    return { joined: this.joined, transport: this.transport, muted: this.muted, speaking: this.speaking,
      peers, crowd, groups };
  }
}

// For tests and the browser console: the call this tab is in, else the page's voice.
window.estaminetVoice = {
  join: () => (call || shown)?.join(),
  leave: () => (call || shown)?.leave(),
  setMuted: (muted) => (call || shown)?.setMuted(muted),
  stats: () => (call || shown)?.stats(),
};

/** Wire a voice bar; returns what to call when its page goes away (./shell.js). */
export function setupVoice(live, bar) {
  const space = bar.dataset.voice;
  let voice;
  if (call && call.space === space) {
    voice = call;
    voice.attach(bar);
    dock.show(call);
  } else {
    voice = new Voice(live, bar);
  }
  return () => voice.release();
}

/** The topics the call in progress needs whatever page is shown (./shell.js). */
export function callTopics() {
  return call ? [`voice:${call.space}`] : [];
}

/** Whether leaving this document would end a conversation. */
export function inCall() {
  return !!call?.joined;
}

/** End the conversation (before signing out). */
export function hangUp() {
  call?.leave();
}
