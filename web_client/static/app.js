// Minimal Hearth page: join a room as a guest, see who is here, chat.
// Every piece of user text goes through textContent, never innerHTML.
const $ = (id) => document.getElementById(id);
let socket = null;
let seq = 0;
let pending = null; // events that arrive before the join ack
const roster = new Map();

function renderRoster() {
  const list = $("roster");
  list.replaceChildren(...[...roster.values()].map((p) => {
    const item = document.createElement("li");
    item.textContent = p.hand ? `${p.name} ✋` : p.name;
    return item;
  }));
}

function addMessage(message) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = message.name;
  const text = document.createElement("span");
  text.textContent = message.text;
  item.append(name, text);
  $("chat").append(item);
}

function applySnapshot(snapshot) {
  seq = snapshot.seq;
  roster.clear();
  for (const p of snapshot.participants) roster.set(p.id, p);
  $("chat").replaceChildren();
  snapshot.chat.forEach(addMessage);
  $("room-title").textContent = snapshot.room.name;
  renderRoster();
}

async function resync() {
  const ack = await socket.emitWithAck("room:snapshot", {});
  if (ack.ok) applySnapshot(ack.snapshot);
}

function onRoomEvent(name, data) {
  if (pending) { pending.push([name, data]); return; }
  if (data.seq <= seq) return;
  if (data.seq !== seq + 1) { resync(); return; }
  seq = data.seq;
  if (name === "participant:joined") roster.set(data.participant.id, data.participant);
  if (name === "participant:left") roster.delete(data.participant);
  if (name === "hand:queue") for (const p of roster.values()) p.hand = data.hands.includes(p.id);
  if (name === "chat:message") addMessage(data.message);
  if (name === "room:closed") $("status").textContent = "The room has closed.";
  renderRoster();
}

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const room = $("room-id").value.trim();
  const name = $("display-name").value.trim();
  $("join-error").textContent = "";
  socket = io({ auth: { name }, transports: ["websocket"] });
  for (const name of ["participant:joined", "participant:left", "chat:message",
    "hand:queue", "room:closed"]) {
    socket.on(name, (data) => onRoomEvent(name, data));
  }
  socket.on("connect_error", (err) => {
    $("join-error").textContent = err.data?.message ?? "Could not connect.";
  });
  socket.on("disconnect", () => { $("status").textContent = "Disconnected."; });
  socket.on("connect", async () => {
    pending = [];
    const ack = await socket.emitWithAck("room:join", { room });
    if (!ack.ok) {
      $("join-error").textContent = ack.error.message;
      pending = null;
      socket.disconnect();
      return;
    }
    applySnapshot(ack.snapshot);
    const early = pending;
    pending = null;
    for (const [name, data] of early) onRoomEvent(name, data);
    $("join-form").hidden = true;
    $("room").hidden = false;
    $("status").textContent = "Connected.";
    $("chat-text").focus();
  });
});

$("chat-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("chat-text");
  const ack = await socket.emitWithAck("chat:send", { text: input.value });
  $("chat-error").textContent = ack.ok ? "" : ack.error.message;
  if (ack.ok) input.value = "";
});
