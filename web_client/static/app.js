// Hearth's page: join (invitation, name, guidelines and consent, perhaps the waiting room),
// then the room: who is here, raised hands, chat, reactions, the connection's state and,
// for moderators, the facilitator tools. Every piece of user text goes through
// textContent, never innerHTML.
import { announce } from "./announcer.js";
import { mountAttendance } from "./attendance.js";
import { mountAudio } from "./audio.js";
import { mountChat } from "./chat.js";
import { ConnectionState } from "./connection.js";
import { mountJoin, readInvitation } from "./join.js";
import { mountLayout } from "./layout.js";
import { mountMeeting } from "./meeting.js";
import { mountModeration } from "./moderation.js";
import { mountMuteEveryone } from "./mute-everyone.js";
import { mountNotices } from "./notices.js";
import { mountReactions } from "./reactions.js";
import { RoomModel } from "./room.js";
import { mountRoster } from "./roster.js";
import { mountSchedule } from "./schedule.js";
import { mountScript } from "./script-resources.js";
import { installQuickExit } from "./safety.js";
import { mountSupport } from "./support.js";
import { mountTools } from "./tools.js";
import { chooseLanguage, ending, refusal, say, translatePage } from "./words.js";

// The quick exit works from the first moment, before anything else loads.
let connection = null;
installQuickExit({
  button: document.getElementById("quick-exit"),
  hint: document.getElementById("quick-exit-hint"),
  leave: () => connection?.quit(),
});

// Then the catalogue's language: every view below is drawn in it.
await chooseLanguage();
translatePage();

const $ = (id) => document.getElementById(id);
const VIEWS = ["join-view", "guidelines-view", "waiting-view", "room-view", "ended-view"];

// The words for each state are the catalogue's "connection" (words/en.js); connected but
// held out (the room is full or locked for now), they say why, by the refusal's code.
const STATE_WORDS = {
  [ConnectionState.CONNECTING]: "connecting",
  [ConnectionState.CONNECTED]: "connected",
  [ConnectionState.RECONNECTING]: "reconnecting",
  [ConnectionState.MOVING]: "moving",
  [ConnectionState.BACK]: "back",
  [ConnectionState.ENDED]: "ended",
};
// While out of the room, how long it has been, counted on screen. Hidden from screen
// readers: the status is a live region, and a number ticking every second would be read
// out each time.
const COUNTED = new Set([ConnectionState.RECONNECTING, ConnectionState.MOVING]);

function show(view, { focus = true } = {}) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  document.body.dataset.view = view;
  // Move focus to the new view's heading so keyboard and screen-reader users start there.
  if (focus) $(view).querySelector("h1")?.focus();
}

const model = new RoomModel();

let audio = null;

// How the visit ended, in the catalogue's words (words/en.js "ended"); "Join again" only
// where joining again can work.
function end(kind, { again = true, values = {} } = {}) {
  audio?.release();
  connection?.quit();
  const { title, text } = ending(kind, values);
  $("ended-title").textContent = title;
  $("ended-text").textContent = text;
  $("join-again").hidden = !again;
  show("ended-view");
}

function takenOut(reason) {
  end(reason === "banned" ? "banned" : "removed", { again: false });
}

function roomClosed() {
  end("closed");
}

// Why a rejoin was refused for good (the connection keeps trying for anything else).
function rejoinRefused(error) {
  if (error.code === "banned") takenOut("banned");
  else if (error.code === "room_not_found" || error.code === "room_not_open") roomClosed();
  else end("refused", { values: { reason: refusal(error) } });
}

let ticking = null;

function showState(conn) {
  const status = $("connection");
  const held = conn.state === ConnectionState.HELD_OUT;
  status.textContent = say(`connection.${held ? conn.refusal.code : STATE_WORDS[conn.state]}`);
  status.dataset.state = conn.state;
  if (!COUNTED.has(conn.state) || conn.droppedAt === null) return;
  const elapsed = document.createElement("span");
  elapsed.className = "elapsed";
  elapsed.setAttribute("aria-hidden", "true");
  elapsed.textContent = say("connection.elapsed", { seconds: Math.floor((Date.now() - conn.droppedAt) / 1000) });
  status.append(elapsed);
}

function wire(conn) {
  conn.addEventListener("state", () => {
    if (conn !== connection && connection !== null) return;
    showState(conn);
    clearInterval(ticking);
    ticking = COUNTED.has(conn.state) ? setInterval(() => showState(conn), 1000) : null;
  });
  conn.addEventListener("server-clock", (e) => model.calibrate(e.detail.now));
  conn.addEventListener("snapshot", (e) => {
    model.applySnapshot(e.detail.snapshot, e.detail.you, e.detail.moderation);
    support.applySnapshot(e.detail.moderation);
    pinned.applySnapshot(e.detail.snapshot);
  });
  conn.addEventListener("room-event", (e) => {
    model.applyEvent(e.detail.name, e.detail.data);
    pinned.event(e.detail.name, e.detail.data);
  });
  conn.addEventListener("notice", (e) => {
    model.applyNotice(e.detail.name, e.detail.data);
    support.notice(e.detail.name, e.detail.data);
    attendance.notice(e.detail.name, e.detail.data);
  });
  conn.addEventListener("waiting", (e) => {
    const { position, of } = e.detail;
    $("waiting-position").textContent =
      say(position === 1 ? "events.waiting_next" : "events.waiting_place", { position, of });
  });
  conn.addEventListener("admitted", () => entered());
  conn.addEventListener("denied", () => {
    end("denied");
  });
  conn.addEventListener("removed", (e) => {
    takenOut(e.detail.reason);
  });
  conn.addEventListener("replaced", (e) => {
    end("replaced");
  });
  conn.addEventListener("rejoin-failed", (e) => rejoinRefused(e.detail.error));
}

model.addEventListener("reset", () => {
  $("room-title").textContent = model.info.name;
});

function entered() {
  show("room-view");
  announce(say("events.entered", { room: model.info.name }));
}
// Reasons the server frees a seat without the person choosing to go; they come back.
const LOST_SEAT = new Set(["disconnected", "connection_lost"]);

// Removed or banned: the private notice says so too; whichever comes first ends the visit.
const TAKEN_OUT = new Set(["removed", "banned"]);

model.addEventListener("left", (e) => {
  if (e.detail.member.id !== model.you || !connection) return;
  if (LOST_SEAT.has(e.detail.reason)) connection.rejoin();
  else if (TAKEN_OUT.has(e.detail.reason)) takenOut(e.detail.reason);
  else end("gone");
});
model.addEventListener("closed", roomClosed);

// The views talk to whichever connection is current.
const current = {
  call: (...args) => connection.call(...args),
  offer: (...args) => connection.offer(...args),
};
const moderation = mountModeration(model, current);
const meeting = mountMeeting(model, current);
mountRoster(model, current, (member) => [
  ...moderation.memberOptions(member),
  ...meeting.memberOptions(member),
]);
mountChat(model, current, moderation.messageOptions);
mountReactions(model, current);
mountNotices(model, current);
mountTools(model, current);
mountLayout();
mountMuteEveryone(model, current);
const support = mountSupport(model, current);
const attendance = mountAttendance(model, current);
const pinned = mountScript(model, current);
mountSchedule(model);
audio = mountAudio(model, {
  call: (...args) => connection.call(...args),
  get iceServers() { return connection.iceServers; },
});

mountJoin({
  invite: readInvitation(),
  show,
  wire: (conn) => {
    connection = conn;
    wire(conn);
  },
  onEntered: entered,
  onWaiting: (roomName) => {
    $("waiting-room").textContent = roomName;
    show("waiting-view");
  },
});

$("waiting-leave").addEventListener("click", () => {
  end("stopped_waiting");
});

$("leave-button").addEventListener("click", () => {
  end("left");
});
$("join-again").addEventListener("click", () => {
  location.replace(location.pathname + location.search);
});

show("join-view", { focus: false });
