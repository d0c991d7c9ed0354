// Optional audio for a Hearth room: one RTCPeerConnection to the room's media host, which
// mixes everyone else into the one stream this page plays. See docs/audio.md.
//
//   import { startAudio } from "/static/audio.js";
//   const audio = await startAudio(socket, { iceServers });   // after room:join
//   await audio.mute(true); await audio.stop();
//
// The server enforces mutes and pauses itself; muting here also stops sending.

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

export async function startAudio(socket, { iceServers = [] } = {}) {
  const microphone = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
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

  // No trickle ICE: the offer carries every candidate.
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const ack = await socket.emitWithAck("audio:start", {
    type: "offer",
    sdp: pc.localDescription.sdp,
  });
  if (!ack.ok) {
    release();
    throw new AudioError(ack.error);
  }
  await pc.setRemoteDescription(ack.answer);

  return {
    pc,
    async mute(muted) {
      const reply = await socket.emitWithAck(muted ? "audio:mute" : "audio:unmute");
      if (!reply.ok) throw new AudioError(reply.error);
      for (const track of microphone.getAudioTracks()) track.enabled = !muted;
      return reply.audio;
    },
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
      await socket.emitWithAck("audio:stop");
      release();
    },
  };
}
