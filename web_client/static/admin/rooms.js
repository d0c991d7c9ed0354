// The rooms list: every room with whether it is open and how many people are in it now,
// counted by the server across all its processes. The list refreshes every few seconds
// while it is showing (and on demand); changes in who is in are announced politely.
// Open, close and delete act through the API and report what the server answered.
import { call, path } from "./api.js";
import { $, actionButton, announce, confirmAction, element } from "./page.js";

const REFRESH_MS = 5000;

function countText(room) {
  return ` ${people(room.participants)} in the room`;
}

function same(a, b) {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

export function people(count) {
  return count === 1 ? "1 person" : `${count} people`;
}

function describeChange(before, after) {
  if (before.open !== after.open) return `${after.name} is now ${after.open ? "open" : "closed"}.`;
  if (before.participants !== after.participants) {
    return `${after.name}: ${people(after.participants)} in the room.`;
  }
  return null;
}

export function mountRooms({ onNew, onEdit, onInvite }) {
  const list = $("rooms-list");
  const status = $("rooms-status");
  const errors = $("rooms-error");
  let rooms = [];
  let timer = null;
  let loading = null;

  function card(room) {
    const item = element("li", "card");
    item.dataset.room = room.id;
    item.append(element("h2", "card-title", room.name));
    const state = element("p", `state ${room.open ? "is-open" : "is-closed"}`);
    state.append(element("span", "badge", room.open ? "Open" : "Closed"));
    const count = element("span", "count", countText(room));
    state.append(count);
    item.append(state);
    const facts = element("dl", "facts");
    const fact = (term, value) => facts.append(element("dt", "", term), element("dd", "", value));
    fact("Room id", room.id);
    fact("Capacity", String(room.capacity));
    fact("Who may join", room.allow_guests ? "Anyone with the link" : "Invited people only");
    fact("Schedule", room.series ?? "None");
    if (room.audio) fact("Audio", "On");
    if (room.public) fact("Meeting feed", "Listed");
    item.append(facts);
    const actions = element("div", "actions");
    if (room.open) {
      actions.append(actionButton("Close now", room.name, () => closeRoom(room), "danger"));
    } else {
      actions.append(actionButton("Open now", room.name, () => openRoom(room)));
    }
    actions.append(
      actionButton("Invite", room.name, () => onInvite(room)),
      actionButton("Edit", room.name, () => onEdit(room)),
      actionButton("Delete", room.name, () => deleteRoom(room), "danger"),
    );
    item.append(actions);
    return item;
  }

  // Cards whose room did not change are left alone, so a refresh every few seconds never
  // takes the keyboard focus away (or makes a screen reader start over).
  function render(next, announceChanges) {
    const known = new Map(rooms.map((r) => [r.id, r]));
    const focused = focusedAction();
    const sameOrder = next.length === list.children.length && next.every((r, i) => list.children[i].dataset.room === r.id);
    if (sameOrder) {
      next.forEach((room, i) => {
        const before = known.get(room.id);
        if (same(before, room)) return;
        if (same({ ...before, participants: room.participants }, room)) {
          list.children[i].querySelector(".count").textContent = countText(room);
        } else {
          list.children[i].replaceWith(card(room));
        }
      });
    } else {
      list.replaceChildren(...next.map(card));
    }
    rooms = next;
    if (focused && !list.contains(document.activeElement)) refocus(focused);
    $("rooms-empty").hidden = next.length > 0;
    const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    $("rooms-updated").textContent = `Counts updated at ${time}; they refresh every ${REFRESH_MS / 1000} seconds.`;
    for (const room of next) {
      const before = known.get(room.id);
      const change = before && describeChange(before, room);
      if (change && announceChanges) announce(change);
    }
  }

  function focusedAction() {
    const active = document.activeElement;
    const item = active?.closest?.("#rooms-list > li");
    return item ? { room: item.dataset.room, action: active.dataset.action } : null;
  }

  // The same button on the room's new card, or its first (Open now became Close now).
  function refocus({ room, action }) {
    const item = list.querySelector(`:scope > li[data-room="${CSS.escape(room)}"]`);
    const button = item?.querySelector(`button[data-action="${CSS.escape(action ?? "")}"]`) ?? item?.querySelector("button");
    button?.focus();
  }

  // announceChanges is off after the admin's own action, which its status line reports.
  async function refresh({ announceChanges = true } = {}) {
    // One request at a time: a slow answer is not overtaken by an older one.
    loading ??= call("GET", "/rooms")
      .then((data) => {
        errors.textContent = "";
        render(data.rooms, announceChanges);
      })
      .catch((error) => {
        // The alert is re-read only when the problem changes, not at every failed refresh.
        if (errors.textContent !== error.message) errors.textContent = error.message;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  async function act(doing) {
    status.textContent = "";
    errors.textContent = "";
    try {
      status.textContent = await doing();
    } catch (error) {
      errors.textContent = error.message;
    }
    await refresh({ announceChanges: false });
  }

  function openRoom(room) {
    return act(async () => {
      const now = await call("POST", path`/rooms/${room.id}/open`);
      return now.open ? `${now.name} is open.` : `${now.name} did not open.`;
    });
  }

  async function closeRoom(room) {
    const sure = await confirmAction({
      title: `Close ${room.name} now?`,
      text: "Everyone in it is told the meeting has ended, and its chat is deleted.",
      action: "Close the room",
    });
    if (!sure) return;
    await act(async () => {
      const now = await call("POST", path`/rooms/${room.id}/close`);
      return now.open ? `${now.name} is still open.` : `${now.name} is closed.`;
    });
  }

  async function deleteRoom(room) {
    const sure = await confirmAction({
      title: `Delete ${room.name}?`,
      text: `If it is open it closes first. Its invite links lead nowhere unless a room with the id ${room.id} is made again.`,
      action: "Delete the room",
    });
    if (!sure) return;
    await act(async () => {
      await call("DELETE", path`/rooms/${room.id}`);
      return `${room.name} is deleted.`;
    });
    $("rooms-title").focus();
  }

  $("new-room").addEventListener("click", onNew);
  $("refresh-rooms").addEventListener("click", async () => {
    await refresh();
    if (!errors.textContent) status.textContent = "Counts refreshed.";
  });

  return {
    refresh,
    rooms: () => rooms,
    say: (text) => {
      errors.textContent = "";
      status.textContent = text;
    },
    fail: (text) => {
      status.textContent = "";
      errors.textContent = text;
    },
    start() {
      clearInterval(timer);
      status.textContent = "";
      timer = setInterval(() => document.hidden || refresh(), REFRESH_MS);
      return refresh();
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}
