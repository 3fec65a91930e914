// The microphone: opening it with the right processing, its level, what went wrong and the
// help to show, the devices to choose from; and the "tester mon micro" page.

export const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
export const SPEAK_LEVEL = 0.015;     // RMS of the microphone above which someone is speaking
export const TICK = 100;

// What went wrong with the microphone, in the words of the help text.
export function micProblem(error) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return "insecure";
  switch (error && error.name) {
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    default:
      return "refused";
  }
}

export function showMicHelp(root, problem) {
  const help = root.querySelector("[data-mic-help]");
  if (!help) return;
  help.hidden = !problem;
  for (const kind of ["refused", "missing", "busy", "insecure"]) {
    const line = help.querySelector(`[data-mic-help-${kind}]`);
    if (line) line.hidden = kind !== problem;
  }
  if (problem) help.querySelector("details")?.setAttribute("open", "");
}

export async function openMic(deviceId) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new DOMException("No media devices here", "SecurityError");
  }
  const audio = deviceId ? { ...AUDIO, deviceId: { exact: deviceId } } : AUDIO;
  return navigator.mediaDevices.getUserMedia({ audio, video: false });
}

// The microphone's level, measured in the browser (an AnalyserNode), every TICK ms.
export class Meter {
  constructor(stream, onLevel) {
    const Context = window.AudioContext || window.webkitAudioContext;
    this.context = new Context();
    this.context.resume?.();
    const source = this.context.createMediaStreamSource(stream);
    this.analyser = this.context.createAnalyser();
    // About 43 ms of sound at each tick: a short syllable (or a test beep) between two ticks
    // is not missed as easily as with a 10 ms window.
    this.analyser.fftSize = 2048;
    source.connect(this.analyser);
    const samples = new Float32Array(this.analyser.fftSize);
    this.timer = setInterval(() => {
      this.analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      onLevel(Math.sqrt(sum / samples.length));
    }, TICK);
  }

  stop() {
    clearInterval(this.timer);
    this.context.close?.();
  }
}

export async function fillDevices(select, kind, current) {
  if (!select || !navigator.mediaDevices?.enumerateDevices) return;
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
  select.replaceChildren(
    ...devices.map((d, i) => {
      const option = document.createElement("option");
      option.value = d.deviceId;
      option.textContent = d.label || `${kind === "audioinput" ? "🎙" : "🔈"} ${i + 1}`;
      option.selected = d.deviceId === current;
      return option;
    }),
  );
}

// -- the microphone test page -------------------------------------------------------------

export function setupMicTest(page) {
  const t = page.dataset;
  const status = page.querySelector("[data-mic-status]");
  const meter = page.querySelector("[data-mic-level]");
  const select = page.querySelector("[data-mic-device]");
  const record = page.querySelector("[data-mic-record]");
  const playback = page.querySelector("[data-mic-playback]");
  let stream = null;
  let level = null;
  let loudest = 0;

  async function start(deviceId) {
    try {
      const fresh = await openMic(deviceId);
      for (const track of stream?.getTracks() || []) track.stop();
      level?.stop();
      stream = fresh;
    } catch (error) {
      showMicHelp(page, micProblem(error));
      status.textContent = "";
      return;
    }
    showMicHelp(page, null);
    page.querySelector("[data-mic-live]").hidden = false;
    status.textContent = t.tListening;
    level = new Meter(stream, (rms) => {
      meter.value = Math.min(1, rms * 6);
      loudest = Math.max(loudest, rms);
    });
    await fillDevices(select, "audioinput", stream.getAudioTracks()[0]?.getSettings?.().deviceId);
  }

  page.querySelector("[data-mic-start]").addEventListener("click", () => start(select.value || undefined));
  select.addEventListener("change", () => start(select.value));
  record.addEventListener("click", () => {
    if (!stream || !window.MediaRecorder) return;
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    loudest = 0;
    record.disabled = true;
    status.textContent = t.tRecording;
    recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
    recorder.addEventListener("stop", () => {
      record.disabled = false;
      if (playback.src) URL.revokeObjectURL(playback.src);
      playback.src = URL.createObjectURL(new Blob(chunks, { type: recorder.mimeType }));
      playback.hidden = false;
      playback.play().catch(() => {});
      status.textContent = loudest > SPEAK_LEVEL ? t.tRecorded : t.tSilent;
    });
    recorder.start();
    setTimeout(() => { if (recorder.state !== "inactive") recorder.stop(); }, 5000);
  });
  window.estaminetMicTest = { level: () => meter.value, loudest: () => loudest };
  // Leaving the page (./shell.js keeps this document): the microphone goes off.
  return () => {
    level?.stop();
    for (const track of stream?.getTracks() || []) track.stop();
    if (playback.src) URL.revokeObjectURL(playback.src);
  };
}
