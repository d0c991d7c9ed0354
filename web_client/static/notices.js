// What the room tells you about itself and about you: paused or resumed, your chat or
// microphone muted, a facilitator asking you to unmute (you decide: accept or decline),
// roles changing and facilitators leaving or coming back. Said in the page and politely to
// screen readers; nothing here plays a sound.
import { announce } from "./announcer.js";
import { act } from "./outcome.js";
import { list, notice, say } from "./words.js";

const $ = (id) => document.getElementById(id);

const inAudio = (member) => (member?.audio?.state ?? "off") !== "off";

export function mountNotices(model, connection) {
  const request = $("unmute-request");

  function renderPaused() {
    $("paused-note").hidden = !model.paused;
    // With audio, only facilitators are heard while paused (the server's mixer sees to it).
    const key = `events.paused_text${model.isModerator() ? "_moderator" : ""}`;
    $("paused-text").textContent = say(model.info?.audio ? `${key}_audio` : key);
  }

  model.addEventListener("reset", renderPaused);
  model.addEventListener("role", renderPaused);
  model.addEventListener("paused", (e) => {
    renderPaused();
    if (e.detail.paused) {
      announce(say(e.detail.automatically ? "events.paused_automatically" : "events.paused"));
    } else {
      announce(say("events.resumed"));
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
      if (chat) announce(say(member.chat_muted ? "events.your_chat_muted" : "events.your_chat_unmuted"));
      if (audio) {
        // Outside the audio there is no microphone on or off: only what joining will do.
        if (inAudio(member)) {
          announce(say(member.audio_muted ? "events.your_microphone_muted" : "events.your_microphone_on"));
        } else if (member.audio_muted) announce(say("events.your_microphone_held"));
        if (!member.audio_muted) request.hidden = true;
      }
    }
    if (others.length > 2) {
      announce(say("events.many_mutes", { count: others.length }));
      return;
    }
    for (const { member, chat, audio } of others) {
      const name = member.name;
      if (chat) announce(say(member.chat_muted ? "events.chat_muted" : "events.chat_unmuted", { name }));
      if (audio) announce(say(member.audio_muted ? "events.microphone_muted" : "events.microphone_on", { name }));
    }
  });

  model.addEventListener("role", (e) => {
    const { member } = e.detail;
    const key = member.co_facilitator ? "events.co_facilitator" : "events.co_facilitator_ended";
    announce(say(member.id === model.you ? `${key}_you` : key, { name: member.name }));
  });

  model.addEventListener("facilitators", (e) => {
    if (e.detail.present) announce(say("events.facilitator_back"));
    else if (e.detail.covering.length) {
      announce(say("events.facilitator_left_covering", { names: list(e.detail.covering.map((m) => m.name)) }));
    } else announce(say("events.no_facilitator"));
  });

  // The server lost the room's history (Redis restarted empty): the snapshot that came
  // with it is the room now; say plainly why the earlier chat is gone.
  model.addEventListener("history-lost", (e) => {
    $("history-note").textContent = notice("history_lost");
    $("history-note").hidden = false;
    announce(notice("history_lost"));
  });

  model.addEventListener("unmute-requested", (e) => {
    $("unmute-text").textContent = say("events.unmute_asked_text", { name: e.detail.by });
    request.hidden = false;
    $("unmute-title").focus();
    announce(say("events.unmute_asked", { name: e.detail.by }));
  });

  async function answer(event, done) {
    const ack = await act(connection, event, {}, done);
    if (ack.ok) request.hidden = true;
  }
  $("unmute-accept").addEventListener("click", () => answer("audio:unmute", () =>
    say(inAudio(model.me) ? "panels.unmuted_in_audio" : "panels.unmuted_outside_audio")));
  $("unmute-decline").addEventListener("click", () =>
    answer("audio:stay-muted", say("panels.stayed_muted")));
}
