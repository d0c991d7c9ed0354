// Mute everyone, and its undo: a dialog asks what to mute (chat, microphones or both) and
// whether people may unmute themselves (ticked as the room's own setting says); "Ask
// everyone to unmute" lifts chat mutes at once and asks each muted person, who decides.
// The server applies it to everyone the facilitator outranks, and refuses anyone else.
import { act } from "./outcome.js";
import { say } from "./words.js";

const $ = (id) => document.getElementById(id);

function muted({ chat, audio }) {
  return say(chat && audio ? "console.done_muted_both" : chat ? "console.done_muted_chat" : "console.done_muted_microphones");
}

export function mountMuteEveryone(model, connection) {
  const dialog = $("mute-all-dialog");
  const chat = $("mute-all-chat");
  const audio = $("mute-all-audio");
  const selfUnmute = $("mute-all-self-unmute");
  const error = $("mute-all-error");
  const undo = $("unmute-all-button");

  // Someone the page's facilitator outranks is muted: there is something to undo.
  function render() {
    const anyone = [...model.members.values()].some((m) =>
      model.outranks(m) && (m.chat_muted || m.audio_muted));
    undo.hidden = !anyone;
  }

  $("mute-all-button").addEventListener("click", () => {
    const hasAudio = Boolean(model.info?.audio);
    $("mute-all-audio-field").hidden = !hasAudio;
    audio.checked = hasAudio;
    chat.checked = !hasAudio;
    selfUnmute.checked = Boolean(model.controls.allow_self_unmute);
    $("mute-all-self-unmute-field").hidden = !hasAudio;
    error.textContent = "";
    dialog.returnValue = "";
    dialog.showModal();
    (hasAudio ? audio : chat).focus();
  });

  $("mute-all-form").addEventListener("submit", (event) => {
    if (event.submitter?.value !== "confirm") return;
    if (!chat.checked && !audio.checked) {
      event.preventDefault();
      error.textContent = say("console.choose_what_to_mute");
      chat.focus();
    }
  });

  dialog.addEventListener("close", () => {
    $("mute-all-button").focus();
    if (dialog.returnValue !== "confirm") return;
    const chosen = { chat: chat.checked, audio: audio.checked };
    const payload = { ...chosen };
    if (chosen.audio) payload.allow_self_unmute = selfUnmute.checked;
    const done = chosen.audio && selfUnmute.checked
      ? say("console.done_muted_may_unmute", { muted: muted(chosen) }) : muted(chosen);
    act(connection, "moderation:mute-all", payload, done);
  });

  undo.addEventListener("click", () => {
    act(connection, "moderation:unmute-all", { chat: true, audio: true },
      say("console.done_unmute_all"));
  });

  for (const type of ["reset", "mutes", "joined", "left", "role"]) model.addEventListener(type, render);
}
