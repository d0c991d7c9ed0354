// The "Facilitator tools" panel, shown to moderators only (the server refuses anyone else
// whatever the page shows): pause and resume, mute everyone, the room's settings, the
// waiting room, the reports inbox, bans and the audit log. A greeter sees only the
// waiting room.
import { announce } from "./announcer.js";
import { list, say } from "./words.js";
import { act } from "./outcome.js";

const $ = (id) => document.getElementById(id);

const ACTION_TEXT = {
  promote: "made co-facilitator",
  demote: "ended co-facilitating",
  mute: "muted",
  unmute: "unmuted",
  mute_all: "muted everyone",
  unmute_all: "asked everyone to unmute",
  pause: "paused the room",
  resume: "resumed the room",
  remove: "removed",
  ban: "banned",
  unban: "unbanned",
  admit: "let in",
  deny: "turned away",
  delete_message: "deleted a message from",
  settings: "changed the room's settings",
  lower_hand: "lowered the hand of",
  call_on: "called on",
  give_service: "gave a service role to",
  take_service: "took a service role from",
  round: "ran the round",
};

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function line(text, ...buttons) {
  const item = document.createElement("li");
  const words = document.createElement("span");
  words.textContent = text;
  item.append(words, ...buttons);
  return item;
}

function button(text, onClick, label = "") {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = text;
  if (label) {
    node.setAttribute("aria-label", label);
    node.dataset.key = label;
  }
  node.addEventListener("click", onClick);
  return node;
}

export function mountTools(model, connection) {
  const pause = $("pause-button");
  const checkboxes = [...document.querySelectorAll("#controls input[data-control]")];

  function render() {
    // A greeter sees the waiting room and nothing else of these tools.
    const greeter = !model.isModerator() && model.mayGreet();
    $("facilitator-tools").hidden = !model.isModerator() && !greeter;
    $("room-view").classList.toggle("facilitating", !$("facilitator-tools").hidden);
    for (const id of ["room-tools", "reports-section", "bans-section"]) $(id).hidden = greeter;
    $("audit-section").hidden = !model.isFacilitator();
    pause.textContent = say(model.paused ? "console.resume" : "console.pause");
    for (const box of checkboxes) box.checked = Boolean(model.controls[box.dataset.control]);
    renderWaiting();
    renderReports();
  }

  function renderWaiting() {
    const waiting = model.waiting;
    const list = $("waiting-list");
    const active = document.activeElement;
    const focused = list.contains(active) ? active.dataset.key : null;
    list.replaceChildren(...waiting.map((person) => line(
      `${person.name}, waiting since ${timeOf(person.since)}`,
      button(say("console.let_in"), () => act(connection, "moderation:admit", { target: person.id },
        say("console.done_let_in", { name: person.name })), say("console.let_in_label", { name: person.name })),
      button(say("console.turn_away"), () => act(connection, "moderation:deny", { target: person.id },
        say("console.done_turned_away", { name: person.name })), say("console.turn_away_label", { name: person.name })),
    )));
    if (focused) list.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
    $("waiting-count").textContent = `(${waiting.length})`;
    arrivals(waiting);
    $("waiting-empty").hidden = waiting.length > 0;
    $("admit-all").hidden = waiting.length < 2;
  }

  // Someone new in the waiting room: a banner, a polite announcement and the count in the
  // tab's title, so a facilitator looking at another tab knows too. Said once per person.
  let seenWaiting = new Set();
  function arrivals(waiting) {
    const fresh = waiting.filter((person) => !seenWaiting.has(person.id));
    seenWaiting = new Set(waiting.map((person) => person.id));
    const banner = $("arrival-banner");
    const title = model.info?.name ?? "Hearth";
    document.title = waiting.length ? say("console.waiting_title", { count: waiting.length, title }) : title;
    if (!waiting.length) {
      banner.hidden = true;
      return;
    }
    if (!fresh.length) return;
    const names = list(fresh.map((person) => person.name));
    const text = say("events.waiting_arrived", { names, count: fresh.length });
    banner.textContent = say("events.waiting_arrived_banner", { arrived: text });
    banner.hidden = false;
    $("waiting-live").textContent = text;
  }

  // Reports not yet looked at: counted until the facilitator moves into the inbox.
  let readReports = 0;
  $("reports-section").addEventListener("focusin", () => {
    readReports = model.reports.length;
    renderReports();
  });
  $("reports-section").addEventListener("pointerdown", () => {
    readReports = model.reports.length;
    renderReports();
  });

  function renderReports() {
    const reports = model.reports;
    $("reports").replaceChildren(...reports.map((r) => {
      const message = model.chat.find((m) => m.id === r.message);
      let about = r.participant?.name ?? "someone";
      if (r.message !== null) {
        about = message ? `${message.name}'s message “${message.text}”` : `a message from ${about}, since deleted`;
      }
      const reason = r.reason ? `: “${r.reason}”` : " (no reason given)";
      return line(`${timeOf(r.at)} ${r.from.name} reported ${about}${reason}`);
    }));
    const unread = Math.max(0, reports.length - readReports);
    $("reports-count").textContent = reports.length ? `(${reports.length})` : "";
    if (unread) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = `${unread} new`;
      $("reports-count").append(" ", badge);
    }
    $("reports-empty").hidden = reports.length > 0;
  }

  pause.addEventListener("click", () => {
    if (model.paused) act(connection, "moderation:resume", {}, say("console.done_resumed"));
    else act(connection, "moderation:pause", {}, say("console.done_paused"));
  });
  $("admit-all").addEventListener("click", () => {
    act(connection, "moderation:admit", { all: true }, say("console.done_let_everyone_in"));
  });
  for (const box of checkboxes) {
    box.addEventListener("change", async () => {
      const wanted = box.checked;
      box.checked = !wanted; // until the server says so
      box.disabled = true;
      const ack = await act(connection, "moderation:controls", { [box.dataset.control]: wanted },
        say("console.done_settings"));
      box.disabled = false;
      if (ack.ok) connection.offer("room:controls", { seq: ack.seq, controls: ack.controls });
      render();
    });
  }

  // After an unban the list is fetched again quietly: the line keeps saying what was done.
  async function showBans({ quiet = false } = {}) {
    const listed = (a) => `${a.bans.length} ${a.bans.length === 1 ? "ban" : "bans"} listed.`;
    const ack = quiet
      ? await connection.call("moderation:bans", {})
      : await act(connection, "moderation:bans", {}, listed);
    if (!ack.ok) return;
    $("bans").replaceChildren(...ack.bans.map((ban) => line(
      `${ban.name}, banned from the ${ban.scope} by ${ban.by}${ban.reason ? `: “${ban.reason}”` : ""}`,
      button(say("console.unban"), async () => {
        const done = await act(connection, "moderation:unban", { ban: ban.id },
          `${ban.name} is no longer banned.`);
        if (done.ok) showBans({ quiet: true });
      }, say("console.unban_label", { name: ban.name })),
    )));
    $("bans-empty").hidden = ack.bans.length > 0;
  }
  $("bans-button").addEventListener("click", () => showBans());

  $("audit-button").addEventListener("click", async () => {
    const ack = await act(connection, "moderation:audit", { limit: 100 }, (a) =>
      say("console.done_audit", { count: a.entries.length }));
    if (!ack.ok) return;
    $("audit").replaceChildren(...ack.entries.map((e) => {
      const target = e.target ? ` ${e.target.name}` : "";
      const detail = e.detail ? ` (${e.detail})` : "";
      const reason = e.reason ? `: “${e.reason}”` : "";
      const action = ACTION_TEXT[e.action] ?? e.action;
      return line(`${timeOf(e.at)} ${e.actor.name} ${action}${target}${detail}${reason}`);
    }));
  });

  model.addEventListener("reset", render);
  model.addEventListener("role", render);
  model.addEventListener("paused", render);
  model.addEventListener("controls", render);
  model.addEventListener("service", render);
  model.addEventListener("waiting", renderWaiting);
  // A deleted message's text leaves the reports inbox with it.
  model.addEventListener("deleted", renderReports);
  model.addEventListener("report", (e) => {
    renderReports();
    announce(say("events.report", { name: e.detail.report.from.name }));
  });
}
