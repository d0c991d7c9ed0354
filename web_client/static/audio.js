// Optional audio for a Hearth room: one RTCPeerConnection to the room's media host, which
// mixes everyone else into the one stream this page plays. See docs/audio.md.
//
// The room view's audio panel (only where the room has audio): join or leave audio, your
// microphone (one control: it sets the server's mute flag, and the track follows it), the
// audio connection's state in words, and who is speaking, said calmly. The server enforces
// mutes and pauses itself; the page only mirrors them.
import { announce } from "./announcer.js";
import { act } from "./outcome.js";
import { list, refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);

// The server freed the seat without the person choosing to go; the page joins again.
const LOST_SEAT = new Set(["disconnected", "connection_lost"]);

// Refusals that mean the room connection itself is down or being rejoined.
const WAIT_FOR_ROOM = new Set(["offline", "timeout", "not_in_room"]);

// Speakers are told to screen readers at most this often, and only when they change.
const SPEAKING_ANNOUNCE_MS = 8000;

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
  });
}

export class AudioError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
  }
}

// call(event, payload) resolves with the server's ack (Connection.call, or a socket's
// emitWithAck). Resolves with {pc, microphone, received(), stop()}.
export async function startAudio(call, { iceServers = [], muted = false } = {}) {
  if (!navigator.mediaDevices?.getUserMedia || typeof RTCPeerConnection === "undefined") {
    // Browsers offer microphones only to secure pages (https, or localhost).
    throw new AudioError({ code: "unsupported", message: "no microphone access on this page" });
  }
  const microphone = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  for (const track of microphone.getAudioTracks()) track.enabled = !muted;
  const pc = new RTCPeerConnection({ iceServers });
  for (const track of microphone.getAudioTracks()) pc.addTrack(track, microphone);
  const player = new Audio();
  player.autoplay = true;
  pc.addEventListener("track", (event) => {
    player.srcObject = event.streams[0] ?? new MediaStream([event.track]);
  });
  const release = () => {
    pc.close();
    for (const track of microphone.getTracks()) track.stop();
    player.srcObject = null;
  };

  try {
    // No trickle ICE: the offer carries every candidate.
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    const ack = await call("audio:start", { type: "offer", sdp: pc.localDescription.sdp });
    if (!ack.ok) throw new AudioError(ack.error);
    await pc.setRemoteDescription(ack.answer);
  } catch (error) {
    release();
    throw error;
  }

  return {
    pc,
    microphone,
    release,
    // What arrives from the server: packets and the energy of the mixed stream.
    async received() {
      const stats = await pc.getStats();
      for (const report of stats.values()) {
        if (report.type === "inbound-rtp" && report.kind === "audio") {
          return { packets: report.packetsReceived, energy: report.totalAudioEnergy ?? 0 };
        }
      }
      return { packets: 0, energy: 0 };
    },
    async stop() {
      await call("audio:stop", {});
      release();
    },
  };
}

// Why audio could not start, in words; chat is never affected.
function explain(error) {
  switch (error instanceof AudioError ? error.code : error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return say("audio.not_allowed");
    case "NotFoundError":
    case "OverconstrainedError":
      return say("audio.no_microphone");
    case "NotReadableError":
      return say("audio.microphone_busy");
    default:
      // The server's refusals (audio_disabled, media_unavailable, …) and "unsupported".
      if (error instanceof AudioError) return refusal(error);
      return say("audio.could_not_connect");
  }
}

export function mountAudio(model, connection) {
  const panel = $("audio-panel");
  const join = $("audio-button");
  const mic = $("mic-button");
  const error = $("audio-error");
  let audio = null; // the running startAudio() result
  let state = "off";
  let asked = false; // a facilitator asked you to unmute: the held mute may be lifted
  let pending = false;
  let lastSpoken = { names: "", at: 0 };

  const me = () => model.me;
  // Held by a facilitator, unless they asked, or you have the floor (held for after it).
  const held = () =>
    Boolean(me()?.audio_muted && me()?.audio?.held && !asked && model.floor !== model.you);

  // The microphone's line, only while in the audio, and only what is true now: held by
  // a facilitator, your turn to share (the floor lifts a hold), asked to unmute, muted, on.
  function micLine(muted) {
    const yourTurn = model.floor === model.you;
    if (muted && held()) return say("audio.held");
    if (muted && yourTurn) return say("audio.muted_your_turn");
    if (muted && asked) return say("audio.muted_asked");
    if (model.held()) return say(muted ? "audio.muted_paused" : "audio.on_paused");
    if (muted) return say("audio.muted");
    return say(yourTurn ? "audio.on_your_turn" : "audio.on");
  }

  function render() {
    panel.hidden = !model.info?.audio;
    const muted = Boolean(me()?.audio_muted);
    const joined = state !== "off";
    // Before joining audio there is no microphone to speak of: only what joining will do.
    $("audio-state").textContent = say(!joined && muted && held() ? "audio.off_held" : `audio.${state}`);
    panel.dataset.audio = state;
    join.textContent = say(joined ? "audio.leave" : "audio.join");
    join.disabled = pending;
    $("mic-controls").hidden = !joined;
    $("mic-state").textContent = micLine(muted);
    mic.textContent = say(muted ? "audio.unmute" : "audio.mute");
    mic.disabled = pending || (muted && held());
    // The track follows the server's flag: muted means nothing leaves this page either.
    for (const track of audio?.microphone.getAudioTracks() ?? []) track.enabled = !muted;
  }

  function setState(next) {
    state = next;
    render();
  }

  function release() {
    audio?.release();
    audio = null;
    if (state !== "off") setState("off");
  }

  // again: reconnecting audio that was on; if the room connection is down too, wait for
  // the rejoin's snapshot (see "reset") instead of giving up.
  async function start({ again = false } = {}) {
    pending = true;
    error.textContent = "";
    setState(again ? "lost" : "connecting");
    try {
      const started = await startAudio((event, payload) => connection.call(event, payload), {
        iceServers: connection.iceServers,
        muted: Boolean(me()?.audio_muted),
      });
      audio?.release();
      audio = started;
      started.pc.addEventListener("connectionstatechange", () => {
        if (audio !== started) return;
        const pcState = started.pc.connectionState;
        if (pcState === "connected") setState("connected");
        else if (pcState === "failed") restart();
        else if (pcState === "disconnected") setState("lost");
      });
      if (started.pc.connectionState === "connected") setState("connected");
    } catch (failure) {
      if (again && WAIT_FOR_ROOM.has(failure?.code)) {
        setState("lost");
      } else {
        error.textContent = explain(failure);
        setState("off");
      }
    } finally {
      pending = false;
      render();
    }
  }

  async function restart() {
    if (pending) return;
    audio?.release();
    audio = null;
    setState("lost");
    await start({ again: true });
  }

  async function stop() {
    pending = true;
    render();
    const running = audio;
    audio = null;
    running?.release();
    await connection.call("audio:stop", {});
    pending = false;
    setState("off");
  }

  join.addEventListener("click", () => (state === "off" ? start() : stop()));

  mic.addEventListener("click", async () => {
    const muted = Boolean(me()?.audio_muted);
    pending = true;
    render();
    const ack = await act(connection, muted ? "audio:unmute" : "audio:mute", {}, (reply) =>
      say(reply.audio_muted ? "audio.done_muted" : "audio.done_on"));
    if (!ack.ok && ack.error.code === "audio_held") {
      asked = false; // the request was declined or withdrawn
      if (me()?.audio) me().audio.held = true;
    }
    pending = false;
    render();
  });

  function speaking(e) {
    render();
    const others = model.speakers.filter((id) => id !== model.you);
    const names = list(others.map((id) => model.members.get(id)?.name).filter(Boolean));
    const now = Date.now();
    // Only someone starting to speak, never more often than every few seconds, politely.
    if (!names || !e.detail.started.length || names === lastSpoken.names) return;
    if (now - lastSpoken.at < SPEAKING_ANNOUNCE_MS) return;
    lastSpoken = { names, at: now };
    announce(say("events.speaking", { names }));
  }

  model.addEventListener("reset", () => {
    render();
    // The server let our audio go (this page reconnected): connect it again.
    if ((state === "connected" || state === "lost") && me()?.audio?.state === "off") restart();
  });
  model.addEventListener("speaking", speaking);
  model.addEventListener("mutes", () => {
    if (!me()?.audio_muted) asked = false;
    render();
  });
  model.addEventListener("audio", render);
  model.addEventListener("floor", render);
  model.addEventListener("paused", render);
  model.addEventListener("unmute-requested", () => {
    asked = true;
    render();
  });
  model.addEventListener("audio-reconnect", () => {
    if (state !== "off") restart();
  });
  model.addEventListener("left", (e) => {
    if (e.detail.member.id !== model.you) return;
    // A seat lost with the connection comes back with the rejoin's snapshot (see "reset").
    if (LOST_SEAT.has(e.detail.reason) && state !== "off") setState("lost");
    else release();
  });
  model.addEventListener("closed", release);
  return { release };
}
