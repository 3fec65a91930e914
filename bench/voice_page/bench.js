// One person of the voice benchmark: joins a Janus crowd room with joinCrowd, or takes
// part in a full mesh of plain RTCPeerConnections whose offers the benchmark relays.
import { joinCrowd } from "/static/js/voice-janus.js";

const connections = [];
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    connections.push(this);
  }
};

let microphone = null;
const mesh = new Map();

async function mic() {
  microphone ??= await navigator.mediaDevices.getUserMedia({ audio: true });
  return microphone;
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
    setTimeout(resolve, 5000);
  });
}

async function meshPeer(id) {
  const stream = await mic();
  const pc = new RTCPeerConnection({ iceServers: [] });
  stream.getAudioTracks().forEach((track) => pc.addTrack(track, stream));
  pc.ontrack = (event) => {
    const audio = new Audio();
    audio.srcObject = event.streams[0];
    audio.play().catch(() => {});
  };
  mesh.set(id, pc);
  return pc;
}

window.bench = {
  call: null,
  async janus(ticket) {
    this.call = await joinCrowd({
      ticket,
      iceServers: [],
      stream: await mic(),
      onRemoteStream: (remote) => {
        document.getElementById("remote").srcObject = remote;
      },
    });
    return true;
  },
  async meshOffer(id) {
    const pc = await meshPeer(id);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    return pc.localDescription.sdp;
  },
  async meshAnswer(id, sdp) {
    const pc = await meshPeer(id);
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    return pc.localDescription.sdp;
  },
  async meshAccept(id, sdp) {
    await mesh.get(id).setRemoteDescription({ type: "answer", sdp });
  },
  opus() {
    // The Opus parameters the other side asked for (the last connection's answer or offer).
    const pc = connections.filter((c) => c.connectionState !== "closed").pop();
    const sdp = pc?.remoteDescription?.sdp || "";
    const payload = (sdp.match(/a=rtpmap:(\d+) opus/i) || [])[1];
    const line = payload && sdp.split(/\r?\n/).find((l) => l.startsWith(`a=fmtp:${payload} `));
    return line ? line.slice(`a=fmtp:${payload} `.length) : "";
  },
  async bytes() {
    const total = { sent: 0, received: 0, outbound: 0, inbound: 0 };
    for (const pc of connections) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((report) => {
        if (report.kind !== "audio") return;
        if (report.type === "outbound-rtp") {
          total.sent += report.bytesSent || 0;
          total.outbound += 1;
        }
        if (report.type === "inbound-rtp") {
          total.received += report.bytesReceived || 0;
          total.inbound += 1;
        }
      });
    }
    return total;
  },
};
window.benchReady = true;
