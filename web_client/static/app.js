// Hearth's participant page: join (invitation, name, guidelines and consent), then the
// room: who is here, raised hands, chat, and the connection's state. Every piece of user
// text goes through textContent, never innerHTML.
import { announce } from "./announcer.js";
import { mountChat } from "./chat.js";
import { ConnectionState } from "./connection.js";
import { mountJoin, readInvitation } from "./join.js";
import { RoomModel } from "./room.js";
import { mountRoster } from "./roster.js";
import { installQuickExit } from "./safety.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["join-view", "guidelines-view", "room-view", "ended-view"];

const STATE_TEXT = {
  [ConnectionState.CONNECTING]: "Connecting…",
  [ConnectionState.CONNECTED]: "Connected",
  [ConnectionState.RECONNECTING]: "Connection lost. Reconnecting…",
  [ConnectionState.ENDED]: "Not connected",
};

function show(view, { focus = true } = {}) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  document.body.dataset.view = view;
  // Move focus to the new view's heading so keyboard and screen-reader users start there.
  if (focus) $(view).querySelector("h1")?.focus();
}

const model = new RoomModel();
let connection = null;

function end(title, text) {
  connection?.quit();
  $("ended-title").textContent = title;
  $("ended-text").textContent = text;
  show("ended-view");
}

function wire(conn) {
  const status = $("connection");
  conn.addEventListener("state", (e) => {
    if (conn !== connection && connection !== null) return;
    status.textContent = STATE_TEXT[e.detail.state];
    status.dataset.state = e.detail.state;
  });
  conn.addEventListener("snapshot", (e) => model.applySnapshot(e.detail.snapshot, e.detail.you));
  conn.addEventListener("room-event", (e) => model.applyEvent(e.detail.name, e.detail.data));
  conn.addEventListener("replaced", (e) => {
    end("You joined from somewhere else", e.detail.message);
  });
  conn.addEventListener("rejoin-failed", (e) => {
    end("You are no longer in the room", e.detail.error.message);
  });
}

model.addEventListener("reset", () => {
  $("room-title").textContent = model.info.name;
  $("facilitator-tools").hidden = !model.isFacilitator();
});
// Reasons the server frees a seat without the person choosing to go; they come back.
const LOST_SEAT = new Set(["disconnected", "connection_lost"]);

model.addEventListener("left", (e) => {
  if (e.detail.member.id !== model.you || !connection) return;
  if (LOST_SEAT.has(e.detail.reason)) connection.rejoin();
  else end("You are no longer in the room", "");
});
model.addEventListener("closed", () => {
  end("The meeting has ended", "The room has closed. Thank you for being here.");
});

mountRoster(model, {
  call: (...args) => connection.call(...args),
  offer: (...args) => connection.offer(...args),
});
mountChat(model, {
  call: (...args) => connection.call(...args),
  offer: (...args) => connection.offer(...args),
});

mountJoin({
  invite: readInvitation(),
  show,
  wire: (conn) => {
    connection = conn;
    wire(conn);
  },
  onEntered: () => {
    show("room-view");
    announce(`You are in ${model.info.name}`);
  },
});

$("leave-button").addEventListener("click", () => {
  end("You have left the room", "Take care of yourself. You are welcome back any time.");
});
$("join-again").addEventListener("click", () => {
  location.replace(location.pathname + location.search);
});

installQuickExit({
  button: $("quick-exit"),
  hint: $("quick-exit-hint"),
  leave: () => connection?.quit(),
});

show("join-view", { focus: false });
