// Who is here (with roles and mute states), the raised hands in queue order, your own hand
// button, who is in the audio and speaking, and each person's options (report; for moderators, moderate).
import { announce } from "./announcer.js";
import { dutiesText } from "./meeting.js";
import { roleBadge } from "./room.js";
import { ordinal, refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [name.trim()];
  return letters.map((w) => [...w][0] ?? "").join("").toUpperCase() || "?";
}

function tag(text, className) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

// optionsFor(member) gives the buttons of one person's options (none for yourself).
export function mountRoster(model, connection, optionsFor) {
  const button = $("hand-button");
  const error = $("hand-error");
  const open = new Set(); // whose options are open, kept across re-renders
  let pending = false;

  function memberItem(member) {
    const item = document.createElement("li");
    item.className = "member";
    item.dataset.member = member.id;
    // The tile's initials are drawn by CSS (::before), so the name is read once.
    item.dataset.initials = initials(member.name);
    if (member.colour) item.dataset.colour = member.colour;
    if (model.floor === member.id) item.dataset.floor = "true";
    item.append(tag(member.name, "name"));
    if (member.id === model.you) item.append(tag(say("tile.you"), "you"));
    if (member.away) {
      item.append(tag(say("tile.away"), "badge away"));
      item.dataset.away = "true";
    }
    const badge = roleBadge(member);
    if (badge) item.append(tag(badge.label, `badge ${badge.className}`));
    for (const duty of dutiesText(model, member.id)) item.append(tag(duty, "badge service"));
    if (model.floor === member.id) item.append(tag(say("tile.floor"), "badge floor"));
    const position = model.handPosition(member.id);
    if (position) item.append(tag(say("tile.hand", { place: ordinal(position) }), "badge hand"));
    if (member.chat_muted) item.append(tag(say("tile.chat_muted"), "badge muted"));
    if (member.audio_muted) item.append(tag(say("tile.microphone_muted"), "badge muted"));
    if (model.info?.audio) {
      const audio = member.audio?.state ?? "off";
      if (audio === "connected") item.append(tag(say("tile.in_audio"), "badge audio"));
      else if (audio === "connecting") item.append(tag(say("tile.joining_audio"), "badge audio"));
      if (audio === "connected" && member.audio.speaking) {
        item.append(tag(say("tile.speaking"), "badge speaking"));
        item.dataset.speaking = "true";
      }
    }
    const options = member.id === model.you ? [] : optionsFor(member);
    if (options.length) {
      const details = document.createElement("details");
      details.className = "options";
      details.open = open.has(member.id);
      details.addEventListener("toggle", () => {
        if (details.open) open.add(member.id);
        else open.delete(member.id);
      });
      const summary = document.createElement("summary");
      summary.textContent = say("tile.options", { name: member.name });
      summary.dataset.key = `options:${member.id}`;
      const actions = document.createElement("div");
      actions.className = "actions";
      actions.append(...options);
      details.append(summary, actions);
      item.append(details);
    }
    return item;
  }

  function render() {
    const members = [...model.members.values()].sort((a, b) => a.joined_at - b.joined_at);
    // Re-rendering must not take the keyboard's place away: refocus the same control.
    const active = document.activeElement;
    const focused = active?.closest?.("#roster") ? active.dataset.key : null;
    $("roster").replaceChildren(...members.map(memberItem));
    if (focused) $("roster").querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
    $("people-count").textContent = say("tile.count", { count: members.length });
    const queue = model.hands.map((id) => model.members.get(id)).filter(Boolean);
    $("hands").replaceChildren(...queue.map((member) => {
      const item = document.createElement("li");
      item.append(tag(member.name, "name"));
      if (member.id === model.you) item.append(tag(say("tile.you"), "you"));
      if (member.away) {
        item.append(tag(say("tile.away"), "badge away"));
        item.dataset.away = "true";
      }
      return item;
    }));
    $("hands-empty").hidden = queue.length > 0;
    const raised = model.handPosition(model.you) !== null;
    button.textContent = say(raised ? "tile.lower_hand" : "tile.raise_hand");
    button.dataset.raised = String(raised);
    button.disabled = pending || model.held();
  }

  button.addEventListener("click", async () => {
    const raised = model.handPosition(model.you) !== null;
    pending = true;
    error.textContent = "";
    render();
    const ack = await connection.call(raised ? "hand:lower" : "hand:raise");
    pending = false;
    if (ack.ok) connection.offer("hand:queue", { seq: ack.seq, hands: ack.hands });
    else error.textContent = refusal(ack.error);
    render();
  });

  // Said of someone, or of you: the catalogue has a sentence for each ("…_you").
  const about = (key, member, values = {}) =>
    say(member.id === model.you ? `events.${key}_you` : `events.${key}`, { name: member.name, ...values });
  model.addEventListener("reset", (e) => {
    for (const member of e.detail.joined) {
      if (member.id !== model.you) announce(say("events.joined", { name: member.name }));
    }
    for (const member of e.detail.left) announce(say("events.left", { name: member.name }));
    render();
  });
  model.addEventListener("joined", (e) => {
    if (e.detail.member.id !== model.you) announce(say("events.joined", { name: e.detail.member.name }));
    render();
  });
  model.addEventListener("left", (e) => {
    announce(say("events.left", { name: e.detail.member.name }));
    render();
  });
  model.addEventListener("away", (e) => {
    if (e.detail.member.id !== model.you) announce(say("events.away", { name: e.detail.member.name }));
    render();
  });
  model.addEventListener("back", (e) => {
    if (e.detail.member.id !== model.you) announce(say("events.back", { name: e.detail.member.name }));
    render();
  });
  for (const type of ["mutes", "role", "paused", "audio", "speaking", "floor", "service", "round"]) {
    model.addEventListener(type, render);
  }
  model.addEventListener("hands", (e) => {
    for (const member of e.detail.raised) {
      announce(about("hand_raised", member, { place: ordinal(model.handPosition(member.id)) }));
    }
    for (const member of e.detail.lowered) announce(about("hand_lowered", member));
    render();
  });
  return { render };
}
