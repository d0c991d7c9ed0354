// Who is here (with roles and mute states), the raised hands in queue order, your own hand
// button, who is in the audio and speaking, and each person's options (report; for moderators, moderate).
import { announce } from "./announcer.js";
import { dutiesText } from "./meeting.js";
import { roleBadge } from "./room.js";
import { refusal } from "./words.js";

const $ = (id) => document.getElementById(id);

function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th"}`;
}

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
    if (model.floor === member.id) item.dataset.floor = "true";
    item.append(tag(member.name, "name"));
    if (member.id === model.you) item.append(tag("(you)", "you"));
    if (member.away) {
      item.append(tag("Away: connection lost, seat kept", "badge away"));
      item.dataset.away = "true";
    }
    const badge = roleBadge(member);
    if (badge) item.append(tag(badge.label, `badge ${badge.className}`));
    for (const duty of dutiesText(model, member.id)) item.append(tag(duty, "badge service"));
    if (model.floor === member.id) item.append(tag("Has the floor", "badge floor"));
    const position = model.handPosition(member.id);
    if (position) item.append(tag(`Hand raised, ${ordinal(position)}`, "badge hand"));
    if (member.chat_muted) item.append(tag("Chat muted", "badge muted"));
    if (member.audio_muted) item.append(tag("Microphone muted", "badge muted"));
    if (model.info?.audio) {
      const audio = member.audio?.state ?? "off";
      if (audio === "connected") item.append(tag("In audio", "badge audio"));
      else if (audio === "connecting") item.append(tag("Joining audio", "badge audio"));
      if (audio === "connected" && member.audio.speaking) {
        item.append(tag("Speaking", "badge speaking"));
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
      summary.textContent = `Options for ${member.name}`;
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
    $("people-count").textContent = `(${members.length})`;
    const queue = model.hands.map((id) => model.members.get(id)).filter(Boolean);
    $("hands").replaceChildren(...queue.map((member) => {
      const item = document.createElement("li");
      item.append(tag(member.name, "name"));
      if (member.id === model.you) item.append(tag("(you)", "you"));
    if (member.away) {
      item.append(tag("Away: connection lost, seat kept", "badge away"));
      item.dataset.away = "true";
    }
      return item;
    }));
    $("hands-empty").hidden = queue.length > 0;
    const raised = model.handPosition(model.you) !== null;
    button.textContent = raised ? "Lower my hand" : "Raise my hand";
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

  const nameOf = (member) => (member.id === model.you ? "You" : member.name);
  model.addEventListener("reset", (e) => {
    for (const member of e.detail.joined) {
      if (member.id !== model.you) announce(`${member.name} joined`);
    }
    for (const member of e.detail.left) announce(`${member.name} left`);
    render();
  });
  model.addEventListener("joined", (e) => {
    if (e.detail.member.id !== model.you) announce(`${e.detail.member.name} joined`);
    render();
  });
  model.addEventListener("left", (e) => {
    announce(`${e.detail.member.name} left`);
    render();
  });
  model.addEventListener("away", (e) => {
    if (e.detail.member.id !== model.you) announce(`${e.detail.member.name} lost the connection; their seat is kept`);
    render();
  });
  model.addEventListener("back", (e) => {
    if (e.detail.member.id !== model.you) announce(`${e.detail.member.name} is back`);
    render();
  });
  for (const type of ["mutes", "role", "paused", "audio", "speaking", "floor", "service", "round"]) {
    model.addEventListener(type, render);
  }
  model.addEventListener("hands", (e) => {
    for (const member of e.detail.raised) {
      announce(`${nameOf(member)} raised a hand, ${ordinal(model.handPosition(member.id))} in line`);
    }
    for (const member of e.detail.lowered) announce(`${nameOf(member)} lowered a hand`);
    render();
  });
  return { render };
}
