// Who is here (with roles), the raised hands in queue order, and your own hand button.
import { announce } from "./announcer.js";
import { Role } from "./room.js";

const ROLE_LABEL = { [Role.FACILITATOR]: "Facilitator", [Role.ADMIN]: "Host" };
const $ = (id) => document.getElementById(id);

function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th"}`;
}

function tag(text, className) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

export function mountRoster(model, connection) {
  const button = $("hand-button");
  const error = $("hand-error");
  let pending = false;

  function memberItem(member) {
    const item = document.createElement("li");
    item.className = "member";
    item.dataset.member = member.id;
    item.append(tag(member.name, "name"));
    if (member.id === model.you) item.append(tag("(you)", "you"));
    const role = ROLE_LABEL[member.role];
    if (role) item.append(tag(role, `badge role-${member.role}`));
    const position = model.handPosition(member.id);
    if (position) item.append(tag(`Hand raised, ${ordinal(position)}`, "badge hand"));
    return item;
  }

  function render() {
    const members = [...model.members.values()].sort((a, b) => a.joined_at - b.joined_at);
    $("roster").replaceChildren(...members.map(memberItem));
    $("people-count").textContent = `(${members.length})`;
    const queue = model.hands.map((id) => model.members.get(id)).filter(Boolean);
    $("hands").replaceChildren(...queue.map((member) => {
      const item = document.createElement("li");
      item.append(tag(member.name, "name"));
      if (member.id === model.you) item.append(tag("(you)", "you"));
      return item;
    }));
    $("hands-empty").hidden = queue.length > 0;
    const raised = model.handPosition(model.you) !== null;
    button.textContent = raised ? "Lower my hand" : "Raise my hand";
    button.dataset.raised = String(raised);
    button.disabled = pending;
  }

  button.addEventListener("click", async () => {
    const raised = model.handPosition(model.you) !== null;
    pending = true;
    error.textContent = "";
    render();
    const ack = await connection.call(raised ? "hand:lower" : "hand:raise");
    pending = false;
    if (ack.ok) connection.offer("hand:queue", { seq: ack.seq, hands: ack.hands });
    else error.textContent = ack.error.message;
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
  model.addEventListener("hands", (e) => {
    for (const member of e.detail.raised) {
      announce(`${nameOf(member)} raised a hand, ${ordinal(model.handPosition(member.id))} in line`);
    }
    for (const member of e.detail.lowered) announce(`${nameOf(member)} lowered a hand`);
    render();
  });
  return { render };
}
