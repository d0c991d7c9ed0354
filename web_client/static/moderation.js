// What you can do about a person or a message: report it (everyone), and, for moderators,
// mute, ask to unmute, promote, remove, ban or delete. Shown only where the server would
// allow it, but the server decides: every outcome shown comes from its ack.
import { confirmAction } from "./dialog.js";
import { act, tell } from "./outcome.js";

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
  if (ack.delivered === 0) {
    return "Your report was sent, but no facilitator is in the room to read it right now.";
  }
  const whom = ack.delivered === 1 ? "1 facilitator" : `${ack.delivered} facilitators`;
  return `Thank you. Your report reached ${whom}; only they can see it.`;
}

export function mountModeration(model, connection) {
  async function report(about, what, payload) {
    const chosen = await confirmAction({
      title: `Report ${what}`,
      text: `Only the room's facilitators see a report, with your name. ${about}`,
      confirm: "Send report",
    });
    if (!chosen) return;
    await act(connection, "report:send", { ...payload, reason: chosen.reason }, reached);
  }

  async function takeOut(member, ban) {
    const chosen = await confirmAction({
      title: ban ? `Ban ${member.name}?` : `Remove ${member.name}?`,
      text: ban
        ? `${member.name} leaves the room now and cannot come back until unbanned.`
        : `${member.name} leaves the room now. They may join again later.`,
      confirm: ban ? `Ban ${member.name}` : `Remove ${member.name}`,
      scope: ban,
    });
    if (!chosen) return;
    if (ban) {
      const payload = { target: member.id, scope: chosen.scope, reason: chosen.reason };
      await act(connection, "moderation:ban", payload, `${member.name} is banned.`);
    } else {
      const payload = { target: member.id, reason: chosen.reason };
      await act(connection, "moderation:remove", payload, `${member.name} was removed.`);
    }
  }

  function memberOptions(member) {
    const id = member.id;
    const options = [
      button(`Report ${member.name}…`, `report:${id}`, () =>
        report(`You are reporting ${member.name}.`, member.name, { participant: id })),
    ];
    if (!model.outranks(member)) return options;
    const moderate = (event, payload, done) => act(connection, event, { target: id, ...payload }, done);
    options.unshift(
      member.chat_muted
        ? button("Unmute chat", `chat:${id}`, () =>
          moderate("moderation:unmute", { chat: true }, `${member.name}'s chat is unmuted.`))
        : button("Mute chat", `chat:${id}`, () =>
          moderate("moderation:mute", { chat: true }, `${member.name}'s chat is muted.`)),
      member.audio_muted
        ? button("Ask to unmute microphone", `audio:${id}`, () =>
          moderate("moderation:unmute", { audio: true },
            `${member.name} was asked to unmute; they decide.`))
        : button("Mute microphone", `audio:${id}`, () =>
          moderate("moderation:mute", { audio: true }, `${member.name}'s microphone is muted.`)),
    );
    if (model.isFacilitator() && member.role === "participant") {
      options.push(member.co_facilitator
        ? button("Stop co-facilitating", `role:${id}`, () =>
          moderate("moderation:demote", {}, `${member.name} is no longer a co-facilitator.`))
        : button("Make co-facilitator", `role:${id}`, () =>
          moderate("moderation:promote", {}, `${member.name} is now a co-facilitator.`)));
    }
    options.push(
      button(`Remove ${member.name}…`, `remove:${id}`, () => takeOut(member, false), "danger"),
      button(`Ban ${member.name}…`, `ban:${id}`, () => takeOut(member, true), "danger"),
    );
    return options;
  }

  function messageOptions(message) {
    const options = [];
    if (message.from !== model.you) {
      options.push(button("Report", `report-message:${message.id}`, () =>
        report(`You are reporting this message from ${message.name}.`, "this message",
          { message: message.id }), "", `Report ${message.name}'s message`));
    }
    if (model.isModerator()) {
      options.push(button("Delete", `delete:${message.id}`, async () => {
        await act(connection, "moderation:delete-message", { message: message.id },
          "The message was deleted for everyone.");
      }, "danger", `Delete ${message.name}'s message`));
    }
    return options;
  }

  return { memberOptions, messageOptions, tell };
}
