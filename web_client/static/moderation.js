// What you can do about a person or a message: report it (everyone), and, for moderators,
// mute, ask to unmute, promote, remove, ban or delete. Shown only where the server would
// allow it, but the server decides: every outcome shown comes from its ack.
import { confirmAction } from "./dialog.js";
import { act, tell } from "./outcome.js";
import { say } from "./words.js";

function button(text, key, onClick, className = "", label = "") {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = text;
  if (label) node.setAttribute("aria-label", label);
  node.dataset.key = key;
  if (className) node.className = className;
  node.addEventListener("click", onClick);
  return node;
}

function reached(ack) {
  if (ack.delivered === 0) return say("actions.done_report_nobody");
  return say("actions.done_report", { count: ack.delivered });
}

export function mountModeration(model, connection) {
  async function report(about, what, payload) {
    const chosen = await confirmAction({
      title: say("actions.report_title", { what }),
      text: say("actions.report_text", { about }),
      confirm: say("actions.report_send"),
    });
    if (!chosen) return;
    await act(connection, "report:send", { ...payload, reason: chosen.reason }, reached);
  }

  async function takeOut(member, ban) {
    const kind = ban ? "ban" : "remove";
    const name = member.name;
    const chosen = await confirmAction({
      title: say(`actions.${kind}_title`, { name }),
      text: say(`actions.${kind}_text`, { name }),
      confirm: say(`actions.${kind}_confirm`, { name }),
      scope: ban,
    });
    if (!chosen) return;
    if (ban) {
      const payload = { target: member.id, scope: chosen.scope, reason: chosen.reason };
      await act(connection, "moderation:ban", payload, say("actions.done_banned", { name }));
    } else {
      const payload = { target: member.id, reason: chosen.reason };
      await act(connection, "moderation:remove", payload, say("actions.done_removed", { name }));
    }
  }

  function memberOptions(member) {
    const id = member.id;
    const name = member.name;
    const options = [
      button(say("actions.report_person", { name }), `report:${id}`, () =>
        report(say("actions.report_about_person", { name }), name, { participant: id })),
    ];
    if (!model.outranks(member)) return options;
    const moderate = (event, payload, done) =>
      act(connection, event, { target: id, ...payload }, say(`actions.${done}`, { name }));
    options.unshift(
      member.chat_muted
        ? button(say("actions.unmute_chat"), `chat:${id}`, () =>
          moderate("moderation:unmute", { chat: true }, "done_chat_unmuted"))
        : button(say("actions.mute_chat"), `chat:${id}`, () =>
          moderate("moderation:mute", { chat: true }, "done_chat_muted")),
      member.audio_muted
        ? button(say("actions.ask_to_unmute"), `audio:${id}`, () =>
          moderate("moderation:unmute", { audio: true }, "done_asked_to_unmute"))
        : button(say("actions.mute_microphone"), `audio:${id}`, () =>
          moderate("moderation:mute", { audio: true }, "done_microphone_muted")),
    );
    if (model.isFacilitator() && member.role === "participant") {
      options.push(member.co_facilitator
        ? button(say("actions.demote"), `role:${id}`, () => moderate("moderation:demote", {}, "done_demoted"))
        : button(say("actions.promote"), `role:${id}`, () => moderate("moderation:promote", {}, "done_promoted")));
    }
    options.push(
      button(say("actions.remove", { name }), `remove:${id}`, () => takeOut(member, false), "danger"),
      button(say("actions.ban", { name }), `ban:${id}`, () => takeOut(member, true), "danger"),
    );
    return options;
  }

  function messageOptions(message) {
    const options = [];
    const name = message.name;
    if (message.from !== model.you) {
      options.push(button(say("actions.report_message"), `report-message:${message.id}`, () =>
        report(say("actions.report_about_message", { name }), say("actions.report_this_message"),
          { message: message.id }), "", say("actions.report_message_label", { name })));
    }
    if (model.isModerator()) {
      options.push(button(say("actions.delete_message"), `delete:${message.id}`, async () => {
        await act(connection, "moderation:delete-message", { message: message.id },
          say("actions.done_deleted"));
      }, "danger", say("actions.delete_message_label", { name })));
    }
    return options;
  }

  return { memberOptions, messageOptions, tell };
}
