// La scène without Janus: browser to browser (docs/stage.md, "Sans Janus"). A live
// performer's tab sends its stream to each seated watcher over its own RTCPeerConnection;
// watchers only receive. The venue decides the pairs and relays their call setup
// (`stage.signal`; `voice` frames on the space `stage:<slug>`: `seat`, `peer`, `signal`).
//
//   const mesh = openMesh(live, slug, { onSeat, onStream, onGone });
//   mesh.publish(stream); mesh.unpublish(); await mesh.stats(); mesh.close();

export function openMesh(live, slug, { onSeat = () => {}, onStream = () => {}, onGone = () => {} } = {}) {
  const space = `stage:${slug}`;
  let iceServers = [];
  let stream = null; // what this tab sends, while live
  let closed = false;
  const wanted = new Map(); // watcher tab -> true: the venue asked this tab to send to it
  const pcs = new Map(); // other tab -> {pc, sending, pending, name, incoming}

  const send = (to, signal) => live.act("stage.signal", { room: slug, to, signal }).catch(() => {});

  function hangUp(id) {
    const entry = pcs.get(id);
    if (!entry) return;
    pcs.delete(id);
    entry.pc.close();
    if (!entry.sending) onGone(id);
  }

  function connection(id, name, sending) {
    hangUp(id);
    const pc = new RTCPeerConnection({ iceServers });
    const entry = { pc, sending, pending: [], name, incoming: null };
    pcs.set(id, entry);
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate) send(id, { type: "candidate", candidate: e.candidate.toJSON() });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState !== "failed" || pcs.get(id) !== entry) return;
      if (sending) offer(id, true);
      else send(id, { type: "restart" });
    });
    if (!sending) {
      entry.incoming = new MediaStream();
      pc.addEventListener("track", (e) => {
        if (e.streams[0]) entry.incoming = e.streams[0];
        else entry.incoming.addTrack(e.track);
        onStream(id, name, entry.incoming);
      });
    }
    return entry;
  }

  async function offer(id, iceRestart = false) {
    const entry = pcs.get(id);
    if (!entry) return;
    try {
      const made = await entry.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await entry.pc.setLocalDescription(made);
      send(id, { type: "offer", sdp: made.sdp });
    } catch { /* the watcher left meanwhile */ }
  }

  function sendTo(id) {
    const entry = connection(id, "", true);
    for (const track of stream.getTracks()) {
      entry.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    }
    offer(id);
  }

  async function flush(entry) {
    for (const candidate of entry.pending.splice(0)) {
      try { await entry.pc.addIceCandidate(candidate); } catch { /* stale */ }
    }
  }

  async function signal(from, message) {
    const entry = pcs.get(from);
    if (!entry || !message) return;
    try {
      if (message.type === "offer" && !entry.sending) {
        await entry.pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
        await flush(entry);
        const answer = await entry.pc.createAnswer();
        await entry.pc.setLocalDescription(answer);
        send(from, { type: "answer", sdp: answer.sdp });
      } else if (message.type === "answer" && entry.sending) {
        await entry.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
        await flush(entry);
      } else if (message.type === "candidate") {
        if (entry.pc.remoteDescription) await entry.pc.addIceCandidate(message.candidate);
        else entry.pending.push(message.candidate);
      } else if (message.type === "restart" && entry.sending) {
        entry.pc.restartIce?.();
        offer(from, true);
      }
    } catch { /* a stale message from a call that was replaced */ }
  }

  function frame(f) {
    if (f.space !== space || closed) return;
    if (f.kind === "seat") {
      iceServers = f.ice_servers || iceServers;
      onSeat(f);
    } else if (f.kind === "peer") {
      const id = f.peer.id;
      if (!f.present) {
        wanted.delete(id);
        hangUp(id);
      } else if (f.offer) {
        wanted.set(id, true);
        if (stream) sendTo(id);
      } else {
        connection(id, f.peer.name, false);
      }
    } else if (f.kind === "signal") {
      signal(f.from, f.signal);
    }
  }

  const ready = () => live.act("stage.mesh", { room: slug }).catch(() => {});
  const undo = [live.onFrame("voice", frame), live.onOpen(ready)];
  if (live.online) ready();

  return {
    // Send this stream to every watcher the venue pairs this tab with (call before
    // saying `stage.live`: the pairs come right after).
    publish(next) {
      stream = next;
      for (const id of wanted.keys()) if (!pcs.has(id)) sendTo(id);
    },
    async replaceTracks(next) {
      stream = next;
      for (const entry of pcs.values()) {
        if (!entry.sending) continue;
        for (const sender of entry.pc.getSenders()) {
          const track = next.getTracks().find((t) => t.kind === sender.track?.kind);
          if (track) await sender.replaceTrack(track);
        }
      }
    },
    unpublish() {
      stream = null;
      for (const [id, entry] of [...pcs]) if (entry.sending) hangUp(id);
    },
    // What each incoming stream carries (as stage-janus.js's subscriber stats), and what
    // this tab sends.
    async stats() {
      const feeds = {};
      let outbound = 0;
      for (const [id, entry] of pcs) {
        const report = await entry.pc.getStats();
        if (entry.sending) {
          report.forEach((s) => { if (s.type === "outbound-rtp") outbound += s.bytesSent || 0; });
          continue;
        }
        const out = { audioBytes: 0, videoBytes: 0, framesDecoded: 0, state: entry.pc.iceConnectionState };
        report.forEach((s) => {
          if (s.type !== "inbound-rtp") return;
          if (s.kind === "audio") out.audioBytes += s.bytesReceived || 0;
          if (s.kind === "video") {
            out.videoBytes += s.bytesReceived || 0;
            out.framesDecoded += s.framesDecoded || 0;
          }
        });
        feeds[id] = out;
      }
      const sendingTo = [...pcs.values()].filter((e) => e.sending).length;
      return { feeds, outbound, sendingTo };
    },
    close() {
      closed = true;
      for (const fn of undo) fn();
      for (const id of [...pcs.keys()]) hangUp(id);
    },
  };
}

// The stage's page without Janus: the line's message for those waiting, a tile per
// performer received (`tileFor` is ./stage.js's), no "audio only" (the performer's browser
// sends one stream to each seat).
export function meshStage(live, section, slug, tileFor) {
  const full = section.querySelector("[data-stage-full]");
  const place = section.querySelector("[data-stage-place]");
  const notice = section.querySelector("[data-stage-no-janus]");
  const tiles = new Map();
  section.querySelector("[data-stage-audio-only]")?.closest("label")?.setAttribute("hidden", "");
  return openMesh(live, slug, {
    onSeat(seat) {
      section.dataset.seat = seat.seated ? "seated" : seat.waiting ? "waiting" : "stage";
      if (full) full.hidden = !seat.waiting;
      if (notice) notice.hidden = !!seat.waiting; // the line's message says it all
      if (place) place.textContent = (place.dataset.template || "").replace("{place}", String(seat.waiting));
    },
    onStream(id, name, stream) {
      let tile = tiles.get(id);
      if (!tile) {
        tile = tileFor({ feed: id, name });
        tiles.set(id, tile);
      }
      const video = tile.querySelector("video");
      if (video.srcObject !== stream) video.srcObject = stream;
      video.play().catch(() => {});
    },
    onGone(id) {
      tiles.get(id)?.remove();
      tiles.delete(id);
    },
  });
}
