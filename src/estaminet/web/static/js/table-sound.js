// Short sound cues at a game table, made by the browser (WebAudio tones: no audio file):
// night falls, day rises, your turn, a vote opens. Quiet by default, and a visible button
// turns them off (remembered on this device). They follow only what this viewer's own screen
// shows (its phase, its public step, whether it offers this viewer a move), never more.

const SOUND_KEY = "estaminet.sound";
const VOLUME = 0.06;

// Each cue: [frequency in Hz, start in s, length in s] notes.
const CUES = {
  night: [[523, 0, 0.35], [392, 0.3, 0.5]],
  day: [[392, 0, 0.25], [523, 0.2, 0.25], [659, 0.4, 0.45]],
  turn: [[784, 0, 0.12], [988, 0.14, 0.2]],
  vote: [[587, 0, 0.15], [587, 0.2, 0.15], [784, 0.4, 0.3]],
};

export function soundOn() {
  try { return localStorage.getItem(SOUND_KEY) !== "off"; } catch { return true; }
}

function remember(on) {
  try { localStorage.setItem(SOUND_KEY, on ? "on" : "off"); } catch { /* private mode: not kept */ }
}

let context = null;

// Browsers start audio only after a gesture: the first click or key on the page opens it.
function wake() {
  if (!context && "AudioContext" in window) context = new AudioContext();
  context?.resume?.().catch(() => {});
}

function play(name, delay) {
  const notes = CUES[name];
  if (!notes || !context || context.state !== "running") return false;
  const start = context.currentTime + delay;
  for (const [frequency, at, length] of notes) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + at);
    gain.gain.linearRampToValueAtTime(VOLUME, start + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + at + length);
    osc.connect(gain).connect(context.destination);
    osc.start(start + at);
    osc.stop(start + at + length + 0.05);
  }
  return true;
}

// What a screen says, for the cues: read from #table-view's data attributes only.
export function screenState(view) {
  return {
    phase: view?.dataset.phase || "",
    step: view?.dataset.step || "",
    turn: view?.dataset.turn || "",
  };
}

// The cues a change of screen calls for, in order.
export function cuesFor(before, after) {
  const cues = [];
  if (before.phase !== after.phase && after.phase === "night") cues.push("night");
  else if (before.phase === "night" && after.phase && after.phase !== "night") cues.push("day");
  if (before.step !== after.step && ["vote", "revote", "election"].includes(after.step)) cues.push("vote");
  if (after.turn && after.turn !== before.turn) cues.push("turn");
  return cues;
}

export function setupSound(page) {
  const button = page.querySelector("[data-table-sound]");
  const state = button?.querySelector("[data-table-sound-state]");
  // For tests and the curious: every cue asked for, and whether it was heard.
  const log = (window.estaminetCues = window.estaminetCues || []);
  const show = () => {
    if (!button) return;
    const on = soundOn();
    button.setAttribute("aria-pressed", String(on));
    button.classList.toggle("table-sound--off", !on);
    if (state) state.textContent = on ? button.dataset.tOn : button.dataset.tOff;
  };
  show();
  button?.addEventListener("click", () => {
    remember(!soundOn());
    show();
  });
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, wake, { once: true });
  return (cues) => {
    cues.forEach((name, i) => {
      const on = soundOn();
      log.push({ cue: name, on, heard: on && play(name, i * 0.7) });
    });
  };
}
