// What the room tells you about itself and about you: paused or resumed, your chat or
// microphone muted, a facilitator asking you to unmute (you decide: accept or decline),
// roles changing and facilitators leaving or coming back. Said in the page and politely to
// screen readers; nothing here plays a sound.
import { announce } from "./announcer.js";
import { act } from "./outcome.js";
import { notice } from "./words.js";

const $ = (id) => document.getElementById(id);

const inAudio = (member) => (member?.audio?.state ?? "off") !== "off";

export function mountNotices(model, connection) {
  const request = $("unmute-request");

  function renderPaused() {
    $("paused-note").hidden = !model.paused;
    // With audio, only facilitators are heard while paused (the server's mixer sees to it).
    const what = model.info?.audio ? "chat, hands, reactions and voices" : "chat, hands and reactions";
    $("paused-text").textContent = model.isModerator()
      ? `Participants' ${what} wait until you resume.`
      : `${what[0].toUpperCase()}${what.slice(1)} wait until a facilitator resumes.`;
  }

  model.addEventListener("reset", renderPaused);
  model.addEventListener("role", renderPaused);
  model.addEventListener("paused", (e) => {
    renderPaused();
    if (e.detail.paused) {
      announce(e.detail.automatically
        ? "The room is paused until a facilitator is back"
        : "A facilitator paused the room");
    } else {
      announce("The room is resumed");
    }
  });

  // Your own changes are said one by one; others' by name when few, as a count when many
  // (muting everyone must not read out the whole room).
  model.addEventListener("mutes", (e) => {
    const others = [];
    for (const { member, before } of e.detail.changed) {
      const chat = member.chat_muted !== before.chat;
      const audio = member.audio_muted !== before.audio;
      if (member.id !== model.you) {
        if (chat || audio) others.push({ member, chat, audio });
        continue;
      }
      if (chat) announce(`Your chat is ${member.chat_muted ? "muted" : "unmuted"}`);
      if (audio) {
        // Outside the audio there is no microphone on or off: only what joining will do.
        if (inAudio(member)) announce(`Your microphone is ${member.audio_muted ? "muted" : "on"}`);
        else if (member.audio_muted) announce("A facilitator muted your microphone");
        if (!member.audio_muted) request.hidden = true;
      }
    }
    if (others.length > 2) {
      announce(`${others.length} people's microphones or chat changed`);
      return;
    }
    for (const { member, chat, audio } of others) {
      if (chat) announce(`${member.name}'s chat is ${member.chat_muted ? "muted" : "unmuted"}`);
      if (audio) announce(`${member.name}'s microphone is ${member.audio_muted ? "muted" : "on"}`);
    }
  });

  model.addEventListener("role", (e) => {
    const { member } = e.detail;
    const who = member.id === model.you ? "You are" : `${member.name} is`;
    announce(member.co_facilitator ? `${who} now a co-facilitator` : `${who} no longer a co-facilitator`);
  });

  model.addEventListener("facilitators", (e) => {
    if (e.detail.present) announce("A facilitator is here again");
    else if (e.detail.covering.length) {
      announce(`The facilitator left; ${e.detail.covering.map((m) => m.name).join(" and ")} covering`);
    } else announce("No facilitator is in the room right now");
  });

  // The server lost the room's history (Redis restarted empty): the snapshot that came
  // with it is the room now; say plainly why the earlier chat is gone.
  model.addEventListener("history-lost", (e) => {
    $("history-note").textContent = notice("history_lost");
    $("history-note").hidden = false;
    announce(notice("history_lost"));
  });

  model.addEventListener("unmute-requested", (e) => {
    $("unmute-text").textContent =
      `${e.detail.by} asks whether you would like to unmute your microphone. It stays off unless you choose.`;
    request.hidden = false;
    $("unmute-title").focus();
    announce(`${e.detail.by} asks you to unmute`);
  });

  async function answer(event, done) {
    const ack = await act(connection, event, {}, done);
    if (ack.ok) request.hidden = true;
  }
  $("unmute-accept").addEventListener("click", () => answer("audio:unmute", () =>
    inAudio(model.me) ? "Your microphone is on." : "You are unmuted: your microphone is on when you join the audio."));
  $("unmute-decline").addEventListener("click", () =>
    answer("audio:stay-muted", "You stayed muted."));
}
