// La scène's connection quality (docs/stage.md): the performer's own link to Janus graded
// from getStats (round trip, packets lost, outgoing bitrate), the layer a watcher asks for,
// and a feed whose media stopped coming (the performer's network dropped).

// « bonne / moyenne / faible »: thresholds a voice or a concert notices.
export function grade({ rtt, loss }) {
  if (rtt === null && loss === null) return null;
  if ((rtt ?? 0) < 0.15 && (loss ?? 0) < 0.02) return "good";
  if ((rtt ?? 0) < 0.4 && (loss ?? 0) < 0.08) return "fair";
  return "poor";
}

// The simulcast layer to ask Janus for: 0 the lowest, 2 the highest; null: audio only.
export function layerFor(choice, { narrow, lossy }) {
  if (choice === "audio") return null;
  if (choice === "low") return 0;
  if (choice === "high") return 2;
  return narrow || lossy ? 0 : 2;
}

// A feed is dropped when bytes that were coming stop growing for STALL_MS.
export const STALL_MS = 4000;

export function stalled(previous, bytes, now) {
  // previous: {bytes, since} or undefined; returns the next record and whether it stalled.
  if (!previous || bytes > previous.bytes) return { record: { bytes, since: now }, dropped: false };
  return { record: previous, dropped: bytes > 0 && now - previous.since >= STALL_MS };
}
