// What this page knows about the room: who is here, the hand queue, the chat. No DOM here:
// the model takes snapshots and events from the connection and tells the views what
// changed, in the words the views need ("joined", "left", "hands", "chat", "reset").

export const Role = Object.freeze({
  PARTICIPANT: "participant",
  FACILITATOR: "facilitator",
  ADMIN: "admin",
});

export class RoomModel extends EventTarget {
  info = null; // {id, name, capacity, allow_guests, guidelines}
  you = null; // your member id in this room
  members = new Map(); // id -> {id, name, role, guest, hand, joined_at}
  hands = []; // member ids, first raised first
  chat = []; // {id, from, name, text, sent_at}, oldest first
  closed = false;

  get me() { return this.members.get(this.you) ?? null; }

  isFacilitator() {
    const role = this.me?.role;
    return role === Role.FACILITATOR || role === Role.ADMIN;
  }

  handPosition(memberId) {
    const at = this.hands.indexOf(memberId);
    return at === -1 ? null : at + 1;
  }

  applySnapshot(snapshot, you) {
    if (you) this.you = you;
    this.info = snapshot.room;
    const before = new Map(this.members);
    this.members = new Map(snapshot.participants.map((p) => [p.id, p]));
    this.hands = [...snapshot.hands];
    const lastId = this.chat.at(-1)?.id ?? 0;
    const fresh = snapshot.chat.filter((m) => m.id > lastId);
    this.chat.push(...fresh);
    this.#tell("reset", {
      joined: [...this.members.values()].filter((p) => !before.has(p.id) && before.size > 0),
      left: [...before.values()].filter((p) => !this.members.has(p.id)),
      messages: fresh,
    });
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
