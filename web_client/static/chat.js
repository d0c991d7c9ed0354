// The chat log (newest at the bottom, read out by screen readers as it grows) and the
// message form, which waits while the room is paused or your chat is muted. Message text
// and names are only ever set with textContent. Each message shows its speaker's role as
// the server recorded it when they spoke (a text badge, read out with the name). optionsFor(message) gives each message's
// buttons (report; delete for moderators).
import { announce } from "./announcer.js";
import { roleBadge } from "./room.js";
import { refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);
const NEAR_BOTTOM_PX = 48;

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function mountChat(model, connection, optionsFor) {
  const log = $("chat-log"); // scrolls
  const list = $("chat");
  const form = $("chat-form");
  const input = $("chat-text");
  const error = $("chat-error");
  const send = form.querySelector("button[type=submit]");

  function item(message) {
    const li = document.createElement("li");
    li.className = message.from === model.you ? "message mine" : "message";
    li.dataset.message = String(message.id);
    const head = document.createElement("p");
    head.className = "message-head";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = message.from === model.you ? `${message.name} (you)` : message.name;
    const time = document.createElement("time");
    time.dateTime = new Date(message.sent_at).toISOString();
    time.textContent = timeOf(message.sent_at);
    head.append(name, " ");
    const badge = roleBadge(message);
    if (badge) {
      const role = document.createElement("span");
      role.className = `badge ${badge.className}`;
      role.textContent = badge.label;
      head.append(role, " ");
    }
    head.append(time);
    const text = document.createElement("p");
    text.className = "message-text";
    text.textContent = message.text;
    li.append(head, text, menu(message));
    return li;
  }

  // Report and delete live in a small menu per message, so Tab passes one control per
  // message, not every button of every message.
  function menu(message) {
    const options = optionsFor(message);
    const details = document.createElement("details");
    details.className = "options message-menu";
    details.hidden = options.length === 0;
    const summary = document.createElement("summary");
    const whose = document.createElement("span");
    whose.className = "visually-hidden";
    whose.textContent = say("panels.message_options_whose", { name: message.name });
    summary.append(say("panels.message_options"), whose);
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(...options);
    details.append(summary, actions);
    return details;
  }

  function refreshOptions() {
    for (const li of list.children) {
      const message = model.chat.find((m) => String(m.id) === li.dataset.message);
      if (message) li.querySelector(".message-menu").replaceWith(menu(message));
    }
  }

  function remove(ids) {
    for (const id of ids) list.querySelector(`[data-message="${id}"]`)?.remove();
    $("chat-empty").hidden = list.children.length > 0;
  }

  function renderForm() {
    const muted = Boolean(model.me?.chat_muted);
    const waiting = model.held() || muted;
    $("chat-muted-note").hidden = !muted;
    input.disabled = waiting;
    send.disabled = waiting;
  }

  function append(messages) {
    if (!messages.length) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
    list.append(...messages.map(item));
    $("chat-empty").hidden = true;
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  model.addEventListener("reset", (e) => {
    // The room may show latecomers only what was said since they joined (the server decides).
    const sinceJoined = model.info?.history === "since_joined" && !model.isModerator();
    $("chat-empty").textContent = say(sinceJoined ? "panels.chat_empty_since_joined" : "panels.chat_empty");
    remove(e.detail.deleted);
    append(e.detail.messages);
    refreshOptions();
    renderForm();
  });
  model.addEventListener("chat", (e) => append(e.detail.messages));
  model.addEventListener("deleted", (e) => {
    remove(e.detail.ids);
    announce(say("events.message_deleted"));
  });
  model.addEventListener("role", (e) => {
    if (e.detail.member.id === model.you) refreshOptions();
  });
  model.addEventListener("mutes", renderForm);
  model.addEventListener("paused", renderForm);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      error.textContent = say("panels.type_first");
      return;
    }
    send.disabled = true;
    error.textContent = "";
    const ack = await connection.call("chat:send", { text });
    renderForm();
    if (ack.ok) {
      input.value = "";
      connection.offer("chat:message", { seq: ack.message.id, message: ack.message });
      log.scrollTop = log.scrollHeight;
    } else {
      error.textContent = refusal(ack.error);
    }
    input.focus();
  });
}
