// What this page knows about the room: who is here, the hand queue, the chat, whether it is
// paused, its controls and, for moderators, who waits and what was reported. No DOM here:
// the model takes snapshots and events from the connection and tells the views what
// changed, in the words the views need ("joined", "left", "hands", "chat", "reset",
// "deleted", "reaction", "mutes", "role", "paused", "controls", "facilitators", "waiting",
// "report", "unmute-requested", "audio", "speaking", "closing", "audio-reconnect", and the
// meeting's "floor", "round", "round-warning", "round-time-up", "service").
import { say } from "./words.js";

export const Role = Object.freeze({
  PARTICIPANT: "participant",
  FACILITATOR: "facilitator",
  ADMIN: "admin",
});

// The badge a participant or a chat message's speaker gets ({role, co_facilitator}), or
// null for a participant: shown beside every name, so a chosen name alone can never make
// someone look like a facilitator.
export function roleBadge(who) {
  if (who.role === Role.ADMIN) return { label: say("roles.admin"), className: "role-admin" };
  if (who.role === Role.FACILITATOR) return { label: say("roles.facilitator"), className: "role-facilitator" };
  if (who.co_facilitator) return { label: say("roles.co_facilitator"), className: "role-co" };
  return null;
}

// Who outranks whom: a moderator acts only on people of lower rank (the server decides).
export function rank(member) {
  if (member.role === Role.ADMIN) return 3;
  if (member.role === Role.FACILITATOR) return 2;
  return member.co_facilitator ? 1 : 0;
}

export class RoomModel extends EventTarget {
  info = null; // {id, name, capacity, allow_guests, guidelines, audio, ends_at}
  you = null; // your member id in this room
  members = new Map(); // id -> Participant (see docs/protocol.md)
  hands = []; // member ids, first raised first
  chat = []; // {id, from, name, text, sent_at}, oldest first
  paused = false;
  controls = {};
  facilitatorPresent = true;
  waiting = []; // moderators only: {id, name, since}, first come first
  reports = []; // moderators only: report:received payloads, newest last
  closed = false;
  speakers = []; // member ids speaking now, loudest first
  floor = null; // who has the floor: called on, or sharing in the round
  round = null; // the sharing round (see docs/protocol.md), null when none
  service = new Map(); // member id -> ["greeter", "timekeeper"]
  skewMs = 0; // the server's clock minus ours, from an ack's `now` and round:changed's `at`
  skewSeen = false;

  // The server's clock now, as well as this page can tell: a round's time left counts
  // down to the server's `ends_at`, never from a start of our own.
  serverNow() { return Date.now() + this.skewMs; }

  // `serverMs` is the server's clock when it sent something, so `serverMs - now` is the
  // skew less the delivery delay: the largest seen is the closest (a replayed event is
  // older).
  calibrate(serverMs) {
    if (typeof serverMs !== "number") return;
    const seen = serverMs - Date.now();
    this.skewMs = this.skewSeen ? Math.max(this.skewMs, seen) : seen;
    this.skewSeen = true;
  }

  duties(memberId) { return this.service.get(memberId) ?? []; }

  // The waiting room is the greeter's work too (the server decides).
  mayGreet() { return this.isModerator() || this.duties(this.you).includes("greeter"); }

  // Rounds and the share timer are the timekeeper's work too.
  mayKeepTime() { return this.isModerator() || this.duties(this.you).includes("timekeeper"); }

  get me() { return this.members.get(this.you) ?? null; }

  // A facilitator or host of the room (the token's role).
  isFacilitator() {
    const role = this.me?.role;
    return role === Role.FACILITATOR || role === Role.ADMIN;
  }

  // Anyone who may moderate: facilitators, hosts and co-facilitators.
  isModerator() {
    return this.me !== null && rank(this.me) > 0;
  }

  // Whether you may act on this member: a moderator, on someone of lower rank.
  outranks(member) {
    return this.me !== null && member.id !== this.you && rank(this.me) > rank(member);
  }

  // Chat, hands and reactions wait while paused, except for facilitators.
  held() {
    return this.paused && !this.isModerator();
  }

  handPosition(memberId) {
    const at = this.hands.indexOf(memberId);
    return at === -1 ? null : at + 1;
  }

  applySnapshot(snapshot, you, moderation = null) {
    if (you) this.you = you;
    this.info = snapshot.room;
    this.paused = Boolean(snapshot.paused);
    this.controls = { ...(snapshot.controls ?? {}) };
    this.facilitatorPresent = snapshot.facilitator_present ?? true;
    this.floor = snapshot.floor ?? null;
    this.round = snapshot.round ?? null;
    this.service = new Map((snapshot.service ?? []).map((s) => [s.id, [...s.roles]]));
    if (moderation) this.waiting = [...moderation.waiting];
    const before = new Map(this.members);
    this.members = new Map(snapshot.participants.map((p) => [p.id, p]));
    this.hands = [...snapshot.hands];
    this.speakers = snapshot.participants.filter((p) => p.audio?.speaking).map((p) => p.id);
    const lastId = this.chat.at(-1)?.id ?? 0;
    const fresh = snapshot.chat.filter((m) => m.id > lastId);
    // Messages deleted while we were away are gone from the snapshot: drop them here too.
    const kept = new Set(snapshot.chat.map((m) => m.id));
    const oldest = snapshot.chat[0]?.id ?? Infinity;
    const gone = this.chat.filter((m) => m.id >= oldest && !kept.has(m.id));
    this.chat = this.chat.filter((m) => !gone.includes(m));
    this.chat.push(...fresh);
    this.#tell("reset", {
      joined: [...this.members.values()].filter((p) => !before.has(p.id) && before.size > 0),
      left: [...before.values()].filter((p) => !this.members.has(p.id)),
      messages: fresh,
      deleted: gone.map((m) => m.id),
    });
  }

  // Notices for this connection alone (no seq): the waiting queue and reports for
  // moderators, a facilitator's request to unmute for you.
  applyNotice(name, data) {
    switch (name) {
      case "waiting:queue":
        this.waiting = [...data.waiting];
        this.#tell("waiting", {});
        break;
      case "report:received":
        this.reports.push(data);
        this.#tell("report", { report: data });
        break;
      case "audio:unmute-requested":
        this.#tell("unmute-requested", { by: data.by });
        break;
      case "audio:reconnect":
        this.#tell("audio-reconnect", {});
        break;
      case "room:reset":
        this.#tell("history-lost", { message: String(data.message ?? "") });
        break;
      default:
        break;
    }
  }

  applyEvent(name, data) {
    switch (name) {
      case "participant:joined": {
        this.members.set(data.participant.id, data.participant);
        this.#tell("joined", { member: data.participant });
        break;
      }
      case "participant:left": {
        const member = this.members.get(data.participant);
        this.members.delete(data.participant);
        this.hands = this.hands.filter((id) => id !== data.participant);
        if (member) this.#tell("left", { member, reason: data.reason });
        break;
      }
      case "participant:away":
      case "participant:back": {
        const member = this.members.get(data.participant);
        if (!member) break;
        member.away = name === "participant:away";
        this.#tell(member.away ? "away" : "back", { member });
        break;
      }
      case "hand:queue": {
        const raised = data.hands.filter((id) => !this.hands.includes(id));
        const lowered = this.hands.filter((id) => !data.hands.includes(id));
        this.hands = [...data.hands];
        for (const member of this.members.values()) member.hand = this.hands.includes(member.id);
        this.#tell("hands", {
          raised: raised.map((id) => this.members.get(id)).filter(Boolean),
          lowered: lowered.map((id) => this.members.get(id)).filter(Boolean),
        });
        break;
      }
      case "chat:message": {
        this.chat.push(data.message);
        this.#tell("chat", { messages: [data.message] });
        break;
      }
      case "chat:deleted": {
        this.chat = this.chat.filter((m) => m.id !== data.message);
        this.#tell("deleted", { ids: [data.message] });
        break;
      }
      case "reaction": {
        const member = this.members.get(data.from);
        if (member) this.#tell("reaction", { member, reaction: data.reaction });
        break;
      }
      case "participant:mutes": {
        const changed = [];
        for (const mutes of data.participants) {
          const member = this.members.get(mutes.id);
          if (!member) continue;
          const before = { chat: member.chat_muted, audio: member.audio_muted };
          member.chat_muted = mutes.chat_muted;
          member.audio_muted = mutes.audio_muted;
          if (member.audio && "audio_held" in mutes) member.audio.held = mutes.audio_held;
          changed.push({ member, before });
        }
        this.#tell("mutes", { changed });
        break;
      }
      case "participant:role": {
        const member = this.members.get(data.participant.id);
        if (member) {
          member.co_facilitator = data.participant.co_facilitator;
          this.#tell("role", { member });
        }
        break;
      }
      case "room:paused":
        this.paused = true;
        this.#tell("paused", { paused: true, automatically: Boolean(data.automatically) });
        break;
      case "room:resumed":
        this.paused = false;
        this.#tell("paused", { paused: false, automatically: false });
        break;
      case "room:controls":
        this.controls = { ...data.controls };
        this.#tell("controls", {});
        break;
      case "room:facilitators": {
        this.facilitatorPresent = data.present;
        const covering = data.covering.map((id) => this.members.get(id)).filter(Boolean);
        this.#tell("facilitators", { present: data.present, covering });
        break;
      }
      case "room:closing":
        this.info = { ...this.info, ends_at: data.closes_at };
        this.#tell("closing", { closesAt: data.closes_at });
        break;
      case "audio:state": {
        const member = this.members.get(data.participant);
        if (!member) break;
        member.audio = data.audio;
        member.audio_muted = data.audio_muted;
        this.speakers = this.speakers.filter((id) => id !== member.id || data.audio.speaking);
        this.#tell("audio", { member });
        break;
      }
      case "audio:speaking": {
        const started = data.speakers.filter((id) => !this.speakers.includes(id));
        this.speakers = [...data.speakers];
        for (const member of this.members.values()) {
          if (member.audio) member.audio.speaking = this.speakers.includes(member.id);
        }
        this.#tell("speaking", {
          started: started.map((id) => this.members.get(id)).filter(Boolean),
        });
        break;
      }
      case "floor:changed":
        this.floor = data.participant;
        this.#tell("floor", { member: this.members.get(data.participant) ?? null });
        break;
      case "round:changed": {
        const started = data.round !== null && this.round === null;
        this.calibrate(data.at);
        this.round = data.round;
        this.#tell("round", { started, ended: data.round === null });
        break;
      }
      case "round:warning":
        if (this.round && this.round.share === data.share) this.round.warned = true;
        this.#tell("round-warning", { member: this.members.get(data.participant) ?? null });
        break;
      case "round:time-up":
        if (this.round && this.round.share === data.share) this.round.time_up = true;
        this.#tell("round-time-up", {
          member: this.members.get(data.participant) ?? null, hard: data.hard,
        });
        break;
      case "service:changed":
        this.service = new Map(data.service.map((s) => [s.id, [...s.roles]]));
        this.#tell("service", {});
        break;
      case "room:closed": {
        this.closed = true;
        this.#tell("closed", {});
        break;
      }
      default:
        break;
    }
  }

  #tell(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
