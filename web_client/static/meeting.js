// The meeting: who has the floor, the sharing round with its time left (counted down to
// the server's `ends_at`), passing your turn, and, for facilitators and the timekeeper,
// starting and running a round; per person: lower a hand, call on, move up in the round,
// give or take a service role. The server decides every one of these (see
// docs/protocol.md); the page shows only what its acks and events say.
import { announce } from "./announcer.js";
import { act } from "./outcome.js";
import { say } from "./words.js";

const $ = (id) => document.getElementById(id);

// Read when drawn, not when loaded: the catalogue's language is chosen after loading.
const dutyText = (duty) => (duty === "greeter" || duty === "timekeeper" ? say(`roles.${duty}`) : duty);

function button(text, key, onClick) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = text;
  node.dataset.key = key;
  node.addEventListener("click", onClick);
  return node;
}

function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

function spoken(ms) {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 60 && seconds % 60 === 0) return say("events.minutes", { count: seconds / 60 });
  return say("events.seconds", { count: seconds });
}

export function dutiesText(model, memberId) {
  return model.duties(memberId).map(dutyText);
}

export function mountMeeting(model, connection) {
  const nameOf = (id) => {
    if (id === model.you) return say("meeting.you");
    return model.members.get(id)?.name ?? say("events.someone_who_left");
  };
  // Said of someone, or of you: the catalogue has a sentence for each ("…_you").
  const about = (key, id) => say(id === model.you ? `events.${key}_you` : `events.${key}`,
    { name: model.members.get(id)?.name ?? say("events.someone_who_left") });

  function renderTime() {
    const round = model.round;
    const node = $("round-time");
    if (!round || round.ends_at === null) {
      node.textContent = "";
      return;
    }
    const left = round.ends_at - model.serverNow();
    node.textContent = left > 0 && !round.time_up ? say("meeting.time_left", { clock: clock(left) }) : say("meeting.time_up");
    node.dataset.timeUp = String(left <= 0 || round.time_up);
  }

  function render() {
    const round = model.round;
    const holder = model.floor;
    $("floor-note").textContent = holder === null ? say("events.floor_nobody") : `${about("floor", holder)}.`;
    $("round-status").hidden = round === null;
    if (round) {
      $("round-sharer").textContent = round.sharer === null
        ? say("meeting.waiting_for_next")
        : say("meeting.sharing_now", { name: nameOf(round.sharer) });
      $("round-next").textContent = round.next === null
        ? say("meeting.nobody_next") : say("meeting.next", { name: nameOf(round.next) });
      $("round-queue").replaceChildren(...round.queue.map((id) => {
        const item = document.createElement("li");
        item.textContent = nameOf(id);
        return item;
      }));
    }
    renderTime();
    const inRound = round !== null && (round.sharer === model.you || round.queue.includes(model.you));
    $("round-pass").hidden = !inRound;
    $("round-pass").textContent = say(round?.sharer === model.you ? "meeting.done_sharing" : "meeting.pass");
    $("floor-release").hidden = round !== null || holder === null || !(holder === model.you || model.isModerator());
    $("floor-release").textContent = say(holder === model.you ? "meeting.done_sharing" : "meeting.end_floor");
    $("timekeeper-tools").hidden = !model.mayKeepTime();
    $("round-form").hidden = round !== null;
    $("round-controls").hidden = round === null;
    $("lower-hands").hidden = !model.isModerator() || model.hands.length === 0;
    // The console's hand queue: who is next, called on in one press.
    const next = model.members.get(model.hands[0]);
    $("call-next").hidden = !model.isModerator() || !next || round !== null;
    if (next) $("call-next").textContent = say("meeting.call_next", { name: next.name });
    $("hands-count").textContent = model.hands.length ? `(${model.hands.length} raised)` : "(none raised)";
    renderList();
  }

  // "The people I choose": a checkbox per person, in the order they joined.
  function renderList() {
    const listing = $("round-order").value === "list";
    $("round-list").hidden = !listing;
    if (!listing) return;
    const chosen = new Set([...document.querySelectorAll("#round-list-people input:checked")]
      .map((box) => box.value));
    const people = [...model.members.values()].sort((a, b) => a.joined_at - b.joined_at);
    const focused = $("round-list-people").contains(document.activeElement)
      ? document.activeElement.id : null;
    $("round-list-people").replaceChildren(...people.map((member) => {
      const row = document.createElement("div");
      row.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `round-list-${member.id}`;
      box.value = member.id;
      box.checked = chosen.has(member.id);
      const label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = member.id === model.you ? `${member.name} (you)` : member.name;
      row.append(box, label);
      return row;
    }));
    if (focused) document.getElementById(focused)?.focus();
  }
  $("round-order").addEventListener("change", renderList);

  $("round-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const minutes = Number($("round-minutes").value);
    const warning = Number($("round-warning").value);
    const payload = {
      order: $("round-order").value,
      share_seconds: Math.round(minutes * 60),
      warn_seconds: Math.round(warning * 60),
    };
    if (payload.order === "list") {
      payload.members = [...document.querySelectorAll("#round-list-people input:checked")]
        .map((box) => box.value);
    }
    const ack = await act(connection, "round:start", payload, say("meeting.done_round_started"));
    if (!ack.ok) $("round-order").focus();
  });
  $("round-pass").addEventListener("click", () => {
    act(connection, "round:pass", {}, say("meeting.done_passed"));
  });
  $("floor-release").addEventListener("click", () => {
    act(connection, "floor:release", {}, say("meeting.done_floor_released"));
  });
  $("round-skip").addEventListener("click", () => {
    act(connection, "round:skip", {}, say("meeting.done_skipped"));
  });
  $("round-extend").addEventListener("click", () => {
    act(connection, "round:extend", { seconds: 60 }, say("meeting.done_extended"));
  });
  $("round-end").addEventListener("click", () => {
    act(connection, "round:end", {}, say("meeting.done_round_ended"));
  });
  $("call-next").addEventListener("click", () => {
    const next = model.members.get(model.hands[0]);
    if (next) act(connection, "moderation:call-on", { target: next.id }, say("meeting.done_called_on", { name: next.name }));
  });
  $("lower-hands").addEventListener("click", () => {
    act(connection, "moderation:lower-hands", {}, say("meeting.done_hands_lowered"));
  });

  // A timekeeper's (or moderator's) moves in the round's line: round:move puts someone at
  // any place (0 is next), or back in line after they shared or passed.
  function lineOptions(member, moderate) {
    const { queue, sharer } = model.round;
    const at = queue.indexOf(member.id);
    const name = member.name;
    const move = (label, key, position, done) => button(say(`meeting.${label}`), `${key}:${member.id}`, () =>
      moderate("round:move", { position }, say(`meeting.${done}`, { name, place: position + 1 })));
    if (at < 0) {
      if (member.id === sharer) return [];
      return [move("line_add", "line-add", queue.length, "done_line_add")];
    }
    const options = [];
    if (at > 0) options.push(move("line_next", "move", 0, "done_line_next"));
    if (at > 1) options.push(move("line_up", "line-up", at - 1, "done_line_place"));
    if (at < queue.length - 1) options.push(move("line_down", "line-down", at + 1, "done_line_place"));
    return options;
  }

  function memberOptions(member) {
    const id = member.id;
    const options = [];
    const moderate = (event, payload, done) => act(connection, event, { target: id, ...payload }, done);
    if (model.isModerator()) {
      if (model.handPosition(id) !== null) {
        options.push(button(say("meeting.lower_hand"), `lower-hand:${id}`, () =>
          moderate("moderation:lower-hand", {}, say("meeting.done_hand_lowered", { name: member.name }))));
      }
      if (model.round === null && model.floor !== id) {
        options.push(button(say("meeting.call_on", { name: member.name }), `call-on:${id}`, () =>
          moderate("moderation:call-on", {}, say("meeting.done_called_on", { name: member.name }))));
      }
    }
    if (model.mayKeepTime() && model.round) options.push(...lineOptions(member, moderate));
    if (model.isFacilitator() && member.role === "participant") {
      for (const duty of ["greeter", "timekeeper"]) {
        const has = model.duties(id).includes(duty);
        const name = member.name;
        options.push(has
          ? button(say(`meeting.stop_${duty}`), `${duty}:${id}`, () =>
            moderate("moderation:take-service", { role: duty }, say(`meeting.done_stopped_${duty}`, { name })))
          : button(say(`meeting.make_${duty}`), `${duty}:${id}`, () =>
            moderate("moderation:give-service", { role: duty }, say(`meeting.done_made_${duty}`, { name }))));
      }
    }
    return options;
  }

  function notify(text) {
    const node = $("round-alert");
    node.textContent = text;
    node.hidden = false;
  }

  model.addEventListener("round", (e) => {
    $("round-alert").hidden = true;
    if (e.detail.started) announce(say("events.round_started"));
    if (e.detail.ended) announce(say("events.round_ended"));
    else if (model.round?.sharer) announce(about("sharing_now", model.round.sharer));
    render();
  });
  model.addEventListener("round-warning", (e) => {
    const left = model.round ? spoken(model.round.warn_ms) : say("events.a_little_time");
    const name = e.detail.member?.name;
    notify(say(name ? "events.round_warning" : "events.round_warning_unnamed", { left, name }));
    announce($("round-alert").textContent);
    render();
  });
  model.addEventListener("round-time-up", (e) => {
    const name = e.detail.member?.name;
    const key = e.detail.hard ? "events.time_up_moving_on" : "events.time_up";
    notify(say(name ? key : `${key}_unnamed`, { name }));
    announce($("round-alert").textContent);
    render();
  });
  model.addEventListener("floor", (e) => {
    if (e.detail.member) announce(about("floor", e.detail.member.id));
    render();
  });
  for (const type of ["reset", "service", "role", "hands", "joined", "left", "away", "back"]) {
    model.addEventListener(type, render);
  }
  setInterval(renderTime, 500);
  return { memberOptions };
}
