// Test harness: joins a crowd room with joinCrowd and reports what the page sees.
import { joinCrowd } from "/static/js/voice-janus.js";

// Keep every peer connection the module makes, to read its statistics.
const connections = [];
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    connections.push(this);
  }
};

const harness = {
  states: [],
  call: null,
  remoteStreams: 0,

  async join(ticket, iceServers) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    try {
      this.call = await joinCrowd({
        ticket,
        iceServers,
        stream,
        onState: (state) => this.states.push(state),
        onRemoteStream: (remote) => {
          this.remoteStreams += 1;
          document.getElementById("remote").srcObject = remote;
        },
      });
      return { ok: true };
    } catch (error) {
      return { ok: false, code: error.code ?? null, message: String(error) };
    }
  },

  async audio() {
    const pc = connections[connections.length - 1];
    const found = { bytesReceived: 0, bytesSent: 0 };
    if (!pc) return found;
    (await pc.getStats()).forEach((report) => {
      if (report.kind !== "audio") return;
      if (report.type === "inbound-rtp") found.bytesReceived += report.bytesReceived || 0;
      if (report.type === "outbound-rtp") found.bytesSent += report.bytesSent || 0;
    });
    return found;
  },

  leave() {
    this.call?.leave();
    this.call = null;
  },
};

window.harness = harness;
window.harnessReady = true;
