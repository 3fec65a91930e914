// La scène through Janus VideoRoom: publish (performers) and subscribe (everyone) with the
// short-lived ticket the venue gave. Same plain HTTP API and non-trickle SDP as the crowded
// voice rooms (./voice-janus.js); Janus checks the ticket (session token + room's allowed list).
//
//   const session = await openStage(ticket, { onGone });
//   const pub = await session.publish(stream, { hidden: true }); // performers only (the venue says who)
//   await pub.show(true);                               // relayed to watchers from now on
//   const sub = await session.subscribe(feed, { onStream, audioOnly });
//   sub.setAudioOnly(true); sub.setLayer(0); await sub.stats(); sub.close(); session.close();
//
// A performer's video goes out in simulcast layers (VP8, rids h/m/l) where the browser can;
// a watcher asks Janus for the layer that suits (`configure` with `substream`).

import { JanusError } from "./voice-janus.js";

const PLUGIN = "janus.plugin.videoroom";
const KEEPALIVE_MS = 25000;
const GATHERING_MS = 5000;
const ANSWER_MS = 15000;
const ID_EXISTS = 436; // VideoRoom: a participant with this ID is in the room already
const LAYERS = [
  { rid: "h", active: true, maxBitrate: 900000 },
  { rid: "m", active: true, maxBitrate: 300000, scaleResolutionDownBy: 2 },
  { rid: "l", active: true, maxBitrate: 100000, scaleResolutionDownBy: 4 },
];

function newTransaction() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function gatheringDone(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHERING_MS);
  });
}

export async function openStage(ticket, { iceServers = [], onGone = () => {} } = {}) {
  const { server, room, participant, token } = ticket;
  const stopper = new AbortController();
  const waiting = new Map(); // transaction -> {resolve, reject, timer}
  const handles = new Map(); // handle id -> fn(event) for events without a transaction
  let ended = false;

  async function post(path, body) {
    const response = await fetch(server + path, {
      method: "POST",
      body: JSON.stringify({ ...body, transaction: body.transaction || newTransaction(), token }),
      cache: "no-store",
      credentials: "omit",
      signal: stopper.signal,
    });
    const answer = await response.json();
    if (answer.janus === "error") throw new JanusError(answer.error.code, answer.error.reason);
    return answer;
  }

  const session = (await post("", { janus: "create" })).data.id;

  async function poll() {
    let failures = 0;
    while (!stopper.signal.aborted) {
      try {
        const url = `${server}/${session}?maxev=10&token=${encodeURIComponent(token)}`;
        const response = await fetch(url, { cache: "no-store", credentials: "omit", signal: stopper.signal });
        const answer = await response.json();
        for (const event of Array.isArray(answer) ? answer : [answer]) {
          if (event.janus === "error" && [403, 458].includes(event.error?.code)) {
            close();
            onGone(new JanusError(event.error.code, event.error.reason));
            return;
          }
          const entry = event.transaction && waiting.get(event.transaction);
          if (entry && event.janus !== "ack") {
            clearTimeout(entry.timer);
            waiting.delete(event.transaction);
            entry.resolve(event);
          } else if (event.sender && handles.has(event.sender)) {
            handles.get(event.sender)(event);
          }
        }
        failures = 0;
      } catch (error) {
        if (stopper.signal.aborted) return;
        failures += 1;
        if (failures > 3) {
          close();
          onGone(error);
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * 2 ** failures));
      }
    }
  }
  poll();
  const keepalive = setInterval(() => post(`/${session}`, { janus: "keepalive" }).catch(() => {}), KEEPALIVE_MS);

  async function attach(onEvent) {
    const handle = (await post(`/${session}`, { janus: "attach", plugin: PLUGIN })).data.id;
    handles.set(handle, onEvent);
    return handle;
  }

  async function request(handle, body, jsep) {
    const transaction = newTransaction();
    const answered = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(transaction);
        reject(new JanusError(0, "no answer from the video server"));
      }, ANSWER_MS);
      waiting.set(transaction, { resolve, reject, timer });
    });
    const message = { janus: "message", transaction, body };
    if (jsep) message.jsep = jsep;
    const first = await post(`/${session}/${handle}`, message).catch((error) => {
      const entry = waiting.get(transaction);
      if (entry) { clearTimeout(entry.timer); waiting.delete(transaction); }
      answered.catch(() => {});
      throw error;
    });
    let event = first;
    if (first.janus !== "success") event = await answered;
    else {
      const entry = waiting.get(transaction);
      if (entry) { clearTimeout(entry.timer); waiting.delete(transaction); }
    }
    const data = event.plugindata?.data || {};
    if (data.error_code) throw new JanusError(data.error_code, data.error || "");
    return event;
  }

  async function detach(handle) {
    handles.delete(handle);
    await post(`/${session}/${handle}`, { janus: "detach" }).catch(() => {});
  }

  function close() {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    for (const { reject, timer } of waiting.values()) { clearTimeout(timer); reject(new JanusError(0, "left")); }
    waiting.clear();
    fetch(`${server}/${session}`, {
      method: "POST",
      body: JSON.stringify({ janus: "destroy", transaction: newTransaction(), token }),
      credentials: "omit",
      keepalive: true,
    }).catch(() => {});
    stopper.abort();
  }

  async function publish(stream, { onEnded = () => {}, hidden = false, simulcast = true } = {}) {
    const handle = await attach((event) => {
      const data = event.plugindata?.data || {};
      if (event.janus === "hangup" || data.leaving === "ok" || data.unpublished === "ok" || data.kicked) onEnded();
    });
    // The same feed number as a publisher just closed (the preview, before going live):
    // Janus frees it shortly after the detach; until then it says the ID exists.
    for (let tries = 0; ; tries += 1) {
      try {
        await request(handle, { request: "join", ptype: "publisher", room, id: participant, token });
        break;
      } catch (error) {
        if (error?.code !== ID_EXISTS || tries >= 20) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const pc = new RTCPeerConnection({ iceServers });
    let layered = false;
    for (const track of stream.getTracks()) {
      const init = { direction: "sendonly", streams: [stream] };
      if (track.kind === "video" && simulcast && !layered) {
        try {
          pc.addTransceiver(track, { ...init, sendEncodings: LAYERS });
          layered = true;
          continue;
        } catch { /* no simulcast here: one layer */ }
      }
      pc.addTransceiver(track, init);
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc);
    const offer = { type: "offer", sdp: pc.localDescription.sdp, trickle: false };
    const answered = await request(handle, { request: "publish" }, offer);
    if (!answered.jsep) throw new JanusError(0, "no answer SDP");
    const mids = (answered.plugindata?.data?.streams || []).map((s) => s.mid).filter((m) => m !== undefined);
    const show = (on) => request(handle, { request: "configure", streams: mids.map((mid) => ({ mid, send: on })) });
    // A preview: Janus receives (the page measures its link) but relays nothing yet. Said
    // before the media can flow (the answer is not applied yet), so no packet slips out.
    if (hidden && mids.length) await show(false);
    await pc.setRemoteDescription(answered.jsep);
    let last = null; // {at, bytes} for the outgoing bitrate
    return {
      pc,
      simulcast: layered,
      show,
      // RTT and loss from Janus's receiver reports, bitrate from what left since the last call.
      async quality() {
        let rtt = null;
        let loss = null;
        let bytes = 0;
        (await pc.getStats()).forEach((s) => {
          if (s.type === "outbound-rtp") bytes += s.bytesSent || 0;
          if (s.type === "remote-inbound-rtp") {
            if (typeof s.roundTripTime === "number") rtt = Math.max(rtt ?? 0, s.roundTripTime);
            if (typeof s.fractionLost === "number") loss = Math.max(loss ?? 0, s.fractionLost);
          }
        });
        const now = performance.now();
        const kbps = last && now > last.at ? Math.round(((bytes - last.bytes) * 8) / (now - last.at)) : 0;
        last = { at: now, bytes };
        return { rtt, loss, kbps };
      },
      async replaceTracks(next) {
        for (const sender of pc.getSenders()) {
          const kind = sender.track?.kind;
          const track = next.getTracks().find((t) => t.kind === kind);
          if (track) await sender.replaceTrack(track);
        }
      },
      async stats() {
        let bytes = 0;
        const layers = [];
        (await pc.getStats()).forEach((s) => {
          if (s.type !== "outbound-rtp") return;
          bytes += s.bytesSent || 0;
          if (s.kind === "video") {
            layers.push({ rid: s.rid || null, bytes: s.bytesSent || 0, width: s.frameWidth || 0, limited: s.qualityLimitationReason || null });
          }
        });
        return { outbound: bytes, layers, state: pc.iceConnectionState };
      },
      async close() {
        pc.close();
        await detach(handle);
      },
    };
  }

  // `layer`: the simulcast layer to start on (0 the lowest), asked for in the join itself
  // rather than after it (Janus's default is the highest, the full-size one).
  async function subscribe(feed, { onStream = () => {}, audioOnly = false, onEnded = () => {}, layer: first = null } = {}) {
    const handle = await attach((event) => {
      const data = event.plugindata?.data || {};
      if (event.janus === "hangup" || data.left === "ok" || data.switched === undefined && data.unpublished) onEnded();
    });
    const pc = new RTCPeerConnection({ iceServers });
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      onStream(stream);
    };
    const wanted = Number.isInteger(first) ? { feed, substream: first } : { feed };
    const joined = await request(handle, { request: "join", ptype: "subscriber", room, streams: [wanted], token });
    if (!joined.jsep) throw new JanusError(0, "no offer SDP");
    const streams = joined.plugindata?.data?.streams || [];
    const videoMids = streams.filter((s) => s.type === "video").map((s) => s.mid);
    let layer = Number.isInteger(first) && videoMids.length ? first : null;
    await pc.setRemoteDescription(joined.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await gatheringDone(pc);
    await request(handle, { request: "start" }, { type: "answer", sdp: pc.localDescription.sdp, trickle: false });
    const sub = {
      feed,
      stream,
      async setAudioOnly(on) {
        if (!videoMids.length) return;
        await request(handle, { request: "configure", streams: videoMids.map((mid) => ({ mid, send: !on })) });
      },
      // The simulcast layer to receive (0 the lowest); ignored by Janus for a single layer.
      async setLayer(n) {
        if (!videoMids.length || n === layer) return;
        const was = layer;
        layer = n;
        try {
          await request(handle, { request: "configure", streams: videoMids.map((mid) => ({ mid, substream: n })) });
        } catch (error) {
          if (layer === n) layer = was; // not taken: the next call asks again
          throw error;
        }
      },
      async stats() {
        const out = {
          audioBytes: 0, videoBytes: 0, framesDecoded: 0, frameWidth: 0, packetsLost: 0, packetsReceived: 0,
          layer, state: pc.iceConnectionState,
        };
        (await pc.getStats()).forEach((s) => {
          if (s.type !== "inbound-rtp") return;
          if (s.kind === "audio") out.audioBytes += s.bytesReceived || 0;
          if (s.kind === "video") {
            out.videoBytes += s.bytesReceived || 0;
            out.framesDecoded += s.framesDecoded || 0;
            out.frameWidth = Math.max(out.frameWidth, s.frameWidth || 0);
          }
          out.packetsLost += s.packetsLost || 0;
          out.packetsReceived += s.packetsReceived || 0;
        });
        return out;
      },
      async close() {
        pc.close();
        await detach(handle);
      },
    };
    if (audioOnly) await sub.setAudioOnly(true);
    return sub;
  }

  return { publish, subscribe, close, get ended() { return ended; } };
}
