// Crowded voice rooms through Janus AudioBridge. The browser talks to Janus's HTTP API
// directly with the short-lived ticket the venue gave it; Janus itself checks the ticket
// twice (the session's token, and the room's list of allowed tokens).
//
//   const call = await joinCrowd({ ticket, iceServers, stream, onRemoteStream, onState });
//   call.setMuted(true); call.replaceTrack(otherMicTrack); await call.stats(); call.leave();
//
// onState receives "connecting", "connected", "reconnecting" or "failed". A refused join
// rejects with a JanusError whose `code` is Janus's (403: bad token, 489: not allowed here).

const PLUGIN = "janus.plugin.audiobridge";
const KEEPALIVE_MS = 25000;
const GATHERING_MS = 5000;
const ANSWER_MS = 15000;
const POLL_RETRY_MS = [500, 1000, 2000, 4000, 8000];
const SESSION_GONE = new Set([403, 458]); // unauthorized (token revoked), no such session

export class JanusError extends Error {
  constructor(code, reason) {
    super(`Janus ${code}: ${reason}`);
    this.name = "JanusError";
    this.code = code;
  }
}

function newTransaction() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function gatheringDone(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHERING_MS); // send what we have: host candidates are enough nearby
  });
}

export async function joinCrowd({
  ticket,
  iceServers = [],
  stream = null,
  onRemoteStream = () => {},
  onState = () => {},
  display = undefined,
}) {
  const { server, room, participant, token } = ticket;
  const stopper = new AbortController();
  const waiting = new Map(); // transaction -> { resolve, reject, timer }
  let state = null;
  let ended = false;
  let session = null;
  let handle = null;
  let pc = null;
  let sender = null;
  let track = stream ? stream.getAudioTracks()[0] || null : null;
  let muted = false;
  let keepalive = null;

  const setState = (next) => {
    if (ended || next === state) return;
    state = next;
    try {
      onState(next);
    } catch (error) {
      console.error(error);
    }
  };

  async function post(path, body) {
    // A string body keeps this a "simple" cross-origin request: no CORS preflight round trip.
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

  function awaitEvent(transaction) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(transaction);
        reject(new JanusError(0, "no answer from the voice server"));
      }, ANSWER_MS);
      waiting.set(transaction, { resolve, reject, timer });
    });
  }

  // A plugin request: Janus acks at once and answers later on the long poll.
  async function request(body, jsep) {
    const transaction = newTransaction();
    const answered = awaitEvent(transaction);
    const message = { janus: "message", transaction, body };
    if (jsep) message.jsep = jsep;
    try {
      const first = await post(`/${session}/${handle}`, message);
      if (first.janus === "success") {
        const entry = waiting.get(transaction);
        if (entry) {
          clearTimeout(entry.timer);
          waiting.delete(transaction);
        }
        return first;
      }
    } catch (error) {
      const entry = waiting.get(transaction);
      if (entry) {
        clearTimeout(entry.timer);
        waiting.delete(transaction);
      }
      answered.catch(() => {});
      throw error;
    }
    const event = await answered;
    const data = event.plugindata?.data || {};
    if (data.error_code) throw new JanusError(data.error_code, data.error || "");
    return event;
  }

  function fail(error) {
    if (error) console.warn("crowd voice:", error);
    setState("failed");
    shutdown();
  }

  function dispatch(event) {
    const entry = event.transaction && waiting.get(event.transaction);
    if (entry && event.janus !== "ack") {
      clearTimeout(entry.timer);
      waiting.delete(event.transaction);
      entry.resolve(event);
      return;
    }
    const data = event.plugindata?.data;
    if (event.janus === "hangup" || event.janus === "detached") {
      fail(new Error(`Janus ${event.janus}`));
    } else if (data && (data.audiobridge === "destroyed" || data.kicked === participant)) {
      fail(new Error("removed from the voice room"));
    }
  }

  async function poll() {
    let failures = 0;
    while (!stopper.signal.aborted) {
      try {
        const url = `${server}/${session}?maxev=10&token=${encodeURIComponent(token)}`;
        const response = await fetch(url, { cache: "no-store", credentials: "omit", signal: stopper.signal });
        const answer = await response.json();
        const events = Array.isArray(answer) ? answer : [answer];
        for (const event of events) {
          if (event.janus === "error" && SESSION_GONE.has(event.error?.code)) {
            fail(new JanusError(event.error.code, event.error.reason));
            return;
          }
          dispatch(event);
        }
        if (failures > 0 && pc?.iceConnectionState === "connected") setState("connected");
        failures = 0;
      } catch (error) {
        if (stopper.signal.aborted) return;
        if (failures >= POLL_RETRY_MS.length) {
          fail(error);
          return;
        }
        setState("reconnecting");
        await sleep(POLL_RETRY_MS[failures]);
        failures += 1;
      }
    }
  }

  function shutdown() {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    for (const { reject, timer } of waiting.values()) {
      clearTimeout(timer);
      reject(new JanusError(0, "left"));
    }
    waiting.clear();
    if (pc) pc.close();
    if (session !== null) {
      // Best effort: tell Janus now rather than let the session time out.
      fetch(`${server}/${session}`, {
        method: "POST",
        body: JSON.stringify({ janus: "destroy", transaction: newTransaction(), token }),
        credentials: "omit",
        keepalive: true,
      }).catch(() => {});
    }
    stopper.abort();
  }

  setState("connecting");
  try {
    session = (await post("", { janus: "create" })).data.id;
    handle = (await post(`/${session}`, { janus: "attach", plugin: PLUGIN })).data.id;
    poll();
    keepalive = setInterval(() => {
      post(`/${session}`, { janus: "keepalive" }).catch((error) => {
        if (error instanceof JanusError && SESSION_GONE.has(error.code)) fail(error);
      });
    }, KEEPALIVE_MS);

    const join = { request: "join", room, id: participant, token, muted: false };
    if (display) join.display = String(display).slice(0, 64);
    await request(join);

    pc = new RTCPeerConnection({ iceServers });
    if (track) sender = pc.addTrack(track, stream);
    else pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = (event) => onRemoteStream(event.streams[0] || new MediaStream([event.track]));
    pc.oniceconnectionstatechange = () => {
      const ice = pc.iceConnectionState;
      if (ice === "connected" || ice === "completed") setState("connected");
      else if (ice === "disconnected") setState("reconnecting");
      else if (ice === "failed") fail(new Error("ICE failed"));
    };

    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc); // no trickle: the offer carries its candidates
    const offer = { type: pc.localDescription.type, sdp: pc.localDescription.sdp, trickle: false };
    const configured = await request({ request: "configure", muted: false }, offer);
    if (!configured.jsep) throw new JanusError(0, "no answer SDP");
    await pc.setRemoteDescription(configured.jsep);
  } catch (error) {
    setState("failed");
    shutdown();
    throw error;
  }

  return {
    leave() {
      shutdown(); // destroying the session takes the participant out of the room
    },
    // Muted: nothing leaves the browser (no track on the sender) and Janus mixes nothing in.
    async setMuted(next) {
      next = !!next;
      if (ended || next === muted) return;
      muted = next;
      await sender?.replaceTrack(muted ? null : track);
      await request({ request: "configure", muted });
    },
    // Another microphone: the same call goes on with the new track (no renegotiation).
    async replaceTrack(next) {
      track = next;
      if (!ended) await sender?.replaceTrack(muted ? null : track);
    },
    // What the call carries (audio bytes in and out), for tests and the curious.
    async stats() {
      let inbound = 0;
      let outbound = 0;
      if (pc && !ended) {
        (await pc.getStats()).forEach((s) => {
          if (s.kind !== "audio") return;
          if (s.type === "inbound-rtp") inbound += s.bytesReceived || 0;
          if (s.type === "outbound-rtp") outbound += s.bytesSent || 0;
        });
      }
      return { server, room, participant, state, inbound, outbound, sending: !!sender?.track };
    },
  };
}
