// The connection to Hearth: the official socket.io-client, acknowledged calls, and room
// events delivered strictly in sequence order.
//
// Every room event carries the room's sequence number. Events arrive here in order, but
// one can be lost (a server process restarted, a network hiccup across Redis): when the
// next event is not `seq + 1`, we ask for a snapshot and carry on from it. After a
// reconnect we join again with the last seq we applied (`since`) and the opening of the
// room it belongs to (`opening`: a room that closes and opens again counts seq afresh):
// the server answers with exactly the events we missed, or a snapshot when they are no
// longer in its log or the room has opened again since.
// `room:rewound` (the server's copy of the room went back) asks for a snapshot too.
//
// Once in a room, the connection never gives up on it for a reason that can pass: a
// dropped transport, a draining process, a rejoin refused because the store is out of
// reach, busy, or we are over a limit. It reconnects and rejoins with backoff and jitter
// until it is back in its seat. It ends only when the visit really ended: removed,
// banned, replaced (the same identity joined elsewhere), the room closed, or refused
// for a reason waiting cannot change (FINAL).
import { io } from "/vendor/socket.io/socket.io.esm.min.js";

export const ROOM_EVENTS = [
  "participant:joined",
  "participant:left",
  "participant:away",
  "participant:back",
  "chat:message",
  "hand:queue",
  "room:closed",
  "reaction",
  "chat:deleted",
  "participant:mutes",
  "participant:role",
  "room:paused",
  "room:resumed",
  "room:controls",
  "room:facilitators",
  "room:closing",
  "audio:state",
  "audio:speaking",
  "room:script",
  "floor:changed",
  "round:changed",
  "round:warning",
  "round:time-up",
  "service:changed",
];

// Notices for this connection alone: no seq, not part of the room's shared history.
export const NOTICES = [
  "audio:unmute-requested",
  "waiting:queue",
  "report:received",
  "audio:reconnect",
  "support:requested",
  "support:seen",
  "private:message",
  "attendance:confirmed",
];

const CALL_TIMEOUT_MS = 8000;

// Events that change the room carry an operation id (`op`), reused when the call is sent
// again: the server answers a repeat with the first answer and changes nothing, so a
// retry after a timeout or a lost store answer can never post a message twice.
const MUTATING = new Set([
  "chat:send", "reaction:send", "hand:raise", "hand:lower", "report:send",
  "audio:mute", "audio:unmute", "audio:stay-muted",
  "moderation:promote", "moderation:demote", "moderation:mute", "moderation:unmute",
  "moderation:mute-all", "moderation:unmute-all", "moderation:pause", "moderation:resume", "moderation:remove",
  "moderation:ban", "moderation:unban", "moderation:controls", "moderation:admit",
  "moderation:deny", "moderation:delete-message",
  "support:request", "support:acknowledge", "private:send", "attendance:confirm",
  "script:pin",
  "moderation:lower-hand", "moderation:lower-hands", "moderation:call-on", "floor:release",
  "moderation:give-service", "moderation:take-service", "round:start", "round:pass",
  "round:skip", "round:extend", "round:move", "round:end",
]);
// Answers that leave the outcome open or say nothing changed: worth sending again.
const RESEND = new Set(["timeout", "unavailable", "unconfirmed"]);
const RESENDS = 3;
const RESEND_DELAY_MS = 1000;

// A rejoin refused for one of these has really ended the visit: the room closed, or this
// identity may not be here (banned, not invited, its token no longer valid). Any other
// refusal (unavailable, busy, draining, too_many_connections, rate_limited, room_full, …)
// can pass: we try again.
const FINAL = new Set([
  "banned", "room_not_found", "room_not_open", "not_invited", "guests_not_allowed",
  "unauthorized", "token_expired", "name_not_allowed",
]);
// Refusals that say the room itself keeps us out for now (full, or locked by a
// facilitator): we keep trying, and the page says so rather than "reconnecting".
const HELD = new Set(["room_full", "room_locked"]);
const REJOIN_FIRST_MS = 1000;
const REJOIN_MAX_MS = 15000;

// Exponential backoff with jitter: between half and all of the attempt's ceiling, so
// everyone a fault dropped at once does not come back at once.
function backoff(attempt) {
  const ceiling = Math.min(REJOIN_MAX_MS, REJOIN_FIRST_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function operationId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // plain http: no randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
// A handshake refused with HTTP 429 (too many attempts from this network: it may be a
// neighbour's flood) is retried with the manager's backoff for this long before the
// person is told; the server's block lasts one rate window (10 s by default).
const BUSY_RETRY_MS = 30000;

// What the page shows about the connection, by state.
export const ConnectionState = Object.freeze({
  CONNECTING: "connecting",
  CONNECTED: "connected",
  RECONNECTING: "reconnecting",
  MOVING: "moving", // the server process is stopping (a deploy): reconnecting to another
  HELD_OUT: "held-out", // connected, but the room is full or locked for now: trying again
  BACK: "back", // in the room again after a drop, in the same seat when it was kept
  ENDED: "ended",
});

export class Connection extends EventTarget {
  #socket;
  #room = null; // the room we have entered (and rejoin after a reconnect)
  #seq = 0;
  #opening = null; // which opening of the room #seq counts in (from the join or snapshot)
  #syncing = false; // joining or resyncing: events wait in #early
  #early = [];
  #resumable = false; // we applied this room's events: a rejoin asks for what it missed
  #state = ConnectionState.CONNECTING;
  #iceServers = []; // the room's public STUN/TURN servers, from the join ack (audio rooms)
  #busySince = null; // when the server first answered our handshake with 429, if it did
  #moving = false; // told `server:draining`: reconnecting elsewhere until connected again
  #seated = false; // this visit has had a seat (not only a place in the waiting room)
  #droppedAt = null; // when we lost the room, until we are back in it
  #refusal = null; // the rejoin's last refusal ({code, message}) while HELD_OUT
  #attempts = 0; // rejoins refused in a row, for the backoff
  #retry = null; // the timer of the next rejoin or reconnect

  // auth: {token} or {name}. Emits: "state" {state}, "snapshot" {snapshot, you},
  // "server-clock" {now} (the server's clock, from a join or snapshot ack),
  // "room-event" {name, data}, "refused" {error} (the server turned the connection down),
  // "unreachable" {error} (no server answered before entering), "replaced" {message},
  // "rejoin-failed" {error} (a rejoin refused for good: FINAL), "notice" {name, data}
  // (see NOTICES), "waiting" {position, of},
  // "admitted" (a facilitator let us in; the snapshot follows), "denied", "removed"
  // {reason, message}.
  constructor(auth) {
    super();
    this.#socket = io({ auth, reconnectionDelayMax: 5000, autoConnect: false });
    for (const name of ROOM_EVENTS) {
      this.#socket.on(name, (data) => this.#receive(name, data));
    }
    this.#socket.on("room:rewound", () => this.#resync());
    this.#socket.on("session:replaced", (data) => {
      this.#end();
      this.#emit("replaced", { message: String(data?.message ?? "") });
    });
    this.#socket.on("session:ended", (data) => {
      // The server closes this connection next (it kept sending after being asked to
      // slow down): say why instead of reconnecting into the same refusal.
      this.#end();
      this.#emit("refused", {
        error: { code: String(data?.code ?? "rate_limited"), message: String(data?.message ?? "") },
      });
    });
    this.#socket.on("server:draining", () => {
      // Close the transport ourselves (not `disconnect()`, which would stop reconnecting):
      // the manager reconnects, the load balancer sends us to another process, and the
      // join there takes our same seat back.
      this.#moving = true;
      this.#lost();
      this.#socket.io.engine?.close();
    });
    for (const name of NOTICES) {
      this.#socket.on(name, (data) => this.#emit("notice", { name, data }));
    }
    this.#socket.on("room:reset", (data) => {
      // Redis lost the room and the server opened it again with us seated anew: what we
      // held (buffered events too) belongs to the lost room; the new seq starts from here.
      this.#early = [];
      this.#adopt(data.snapshot, data.you, data.moderation ?? null);
      this.#emit("notice", { name: "room:reset", data });
    });
    this.#socket.on("waiting:position", (data) => {
      this.#emit("waiting", { position: data.position, of: data.of });
    });
    this.#socket.on("waiting:admitted", () => this.#rejoin());
    this.#socket.on("waiting:denied", () => {
      this.#end();
      this.#emit("denied", {});
    });
    this.#socket.on("moderation:removed", (data) => {
      // The server closes this connection next: do not reconnect into a room we were
      // taken out of.
      this.#end();
      this.#emit("removed", { reason: String(data?.reason ?? ""), message: String(data?.message ?? "") });
    });
    this.#socket.on("connect", () => this.#connected());
    this.#socket.on("connect_error", (err) => {
      if (!this.#socket.active && this.#room) {
        // The server turned our reconnect down (too many connections from here, …):
        // ask again later, unless it can never let us in.
        const error = err.data ?? { code: "unreachable", message: err.message };
        if (FINAL.has(error.code)) this.#giveUp(error);
        else this.#later(() => this.#socket.connect());
      } else if (!this.#socket.active) {
        // Refused by the server (bad or expired token, bad name): retrying will not help.
        this.#end();
        this.#emit("refused", { error: err.data ?? { code: "unreachable", message: err.message } });
      } else if (!this.#room) {
        // Told to wait (429: engine.io-client puts the HTTP status in `description`):
        // the manager retries with backoff by itself; the page stays busy meanwhile.
        if (err?.description === 429) {
          this.#busySince ??= Date.now();
          if (Date.now() - this.#busySince < BUSY_RETRY_MS) return;
          this.#emit("unreachable", {
            error: { code: "rate_limited" },
          });
          return;
        }
        // Not in a room yet: say so now rather than leave the person waiting.
        this.#emit("unreachable", {
          error: { code: "unreachable" },
        });
      } else {
        this.#lost();
      }
    });
    this.#socket.on("disconnect", () => {
      if (this.#state === ConnectionState.ENDED) return;
      clearTimeout(this.#retry);
      if (this.#socket.active) this.#lost();
      else if (!this.#room) this.#end();
      else {
        // Closed by the server with no word why (a removal, a replacement or a limit
        // says so first, and ends the visit there): connect again.
        this.#lost();
        this.#later(() => this.#socket.connect());
      }
    });
  }

  get state() { return this.#state; }
  get droppedAt() { return this.#droppedAt; } // ms since the epoch, while not back
  get refusal() { return this.#refusal; } // why the room keeps us out, while HELD_OUT
  get seq() { return this.#seq; }
  get iceServers() { return this.#iceServers; }

  // Resolves once connected, or with the server's refusal.
  open() {
    return new Promise((resolve) => {
      const done = (result) => {
        this.removeEventListener("state", onState);
        this.removeEventListener("refused", onRefused);
        this.removeEventListener("unreachable", onRefused);
        resolve(result);
      };
      const onState = (e) => {
        if (e.detail.state === ConnectionState.CONNECTED) done({ ok: true });
      };
      const onRefused = (e) => done({ ok: false, error: e.detail.error });
      this.addEventListener("state", onState);
      this.addEventListener("refused", onRefused);
      this.addEventListener("unreachable", onRefused);
      this.#socket.connect();
    });
  }

  // An acknowledged call. Never throws: a timeout or a lost connection is a refusal too.
  // A call that changes the room gets an op id and is sent again with the same id (a few
  // times, while connected) when its answer was lost or said the store was out of reach.
  async call(event, payload = {}) {
    if (!MUTATING.has(event)) return this.#callOnce(event, payload);
    const sent = { ...payload, op: payload?.op ?? operationId() };
    let ack = await this.#callOnce(event, sent);
    for (let n = 0; n < RESENDS && !ack.ok && RESEND.has(ack.error?.code); n++) {
      await new Promise((resolve) => setTimeout(resolve, RESEND_DELAY_MS));
      if (!this.#socket.connected) break;
      ack = await this.#callOnce(event, sent);
    }
    return ack;
  }

  async #callOnce(event, payload) {
    if (!this.#socket.connected) {
      return { ok: false, error: { code: "offline" } };
    }
    try {
      return await this.#socket.timeout(CALL_TIMEOUT_MS).emitWithAck(event, payload);
    } catch {
      return { ok: false, error: { code: "timeout" } };
    }
  }

  // Take a seat in the room. Its snapshot is delivered as a "snapshot" event.
  async enter(room) {
    this.#room = room;
    this.#resumable = false;
    this.#seated = false;
    const ack = await this.#join();
    if (!ack.ok) this.#room = null; // not entered: nothing to come back to
    else if (!ack.waiting) this.#seated = true;
    return ack;
  }

  // Take the seat again: the server let it go while this connection stayed up (its
  // process was thought gone). The join's snapshot is delivered as a "snapshot" event.
  rejoin() {
    return this.#rejoin();
  }

  // An ack that carries the change it made (a chat message, the hand queue) counts as the
  // event itself when it is the very next one, so the page answers without waiting.
  offer(name, data) {
    if (!this.#syncing && data.seq === this.#seq + 1) this.#receive(name, data);
  }

  // Leave at once: no waiting for answers (quick exit, leaving the room).
  quit() {
    if (this.#socket.connected && this.#room) this.#socket.emit("room:leave", {});
    this.#end();
  }

  #end() {
    this.#room = null;
    clearTimeout(this.#retry);
    this.#socket.disconnect();
    this.#setState(ConnectionState.ENDED);
  }

  #giveUp(error) {
    this.#end();
    this.#emit("rejoin-failed", { error });
  }

  async #connected() {
    this.#busySince = null;
    this.#moving = false;
    if (this.#room) await this.#rejoin();
    else this.#setState(ConnectionState.CONNECTED);
  }

  // Out of the room for now: say so, counting from the first moment we were.
  #lost() {
    this.#droppedAt ??= Date.now();
    this.#setState(this.#moving ? ConnectionState.MOVING : ConnectionState.RECONNECTING);
  }

  // Connected, but the room turned the rejoin down for now (full, or locked).
  #heldOut(error) {
    this.#droppedAt ??= Date.now();
    const changed = this.#refusal !== null && this.#refusal.code !== error.code;
    this.#refusal = { code: error.code, message: String(error.message ?? "") };
    if (changed && this.#state === ConnectionState.HELD_OUT) this.#emit("state", { state: this.#state });
    this.#setState(ConnectionState.HELD_OUT);
  }

  #later(again) {
    clearTimeout(this.#retry);
    this.#retry = setTimeout(again, backoff(this.#attempts++));
  }

  // Join the room we are in again (after a reconnect, a seat lost while connected, or
  // being let in from the waiting room), and keep trying while the refusal can pass.
  async #rejoin() {
    clearTimeout(this.#retry);
    if (!this.#room || !this.#socket.connected) return { ok: true };
    const ack = await this.#join();
    if (!this.#room) return ack; // ended meanwhile (left, removed, replaced)
    if (ack.ok) {
      this.#attempts = 0;
      if (ack.waiting) {
        this.#setState(ConnectionState.CONNECTED);
      } else if (this.#seated) {
        this.#droppedAt = null;
        this.#setState(this.#state === ConnectionState.CONNECTED ? ConnectionState.CONNECTED : ConnectionState.BACK);
      } else {
        this.#seated = true; // let in from the waiting room
        this.#setState(ConnectionState.CONNECTED);
        this.#emit("admitted", {});
      }
    } else if (FINAL.has(ack.error?.code)) {
      this.#giveUp(ack.error);
    } else if (this.#socket.connected) {
      if (HELD.has(ack.error?.code)) this.#heldOut(ack.error);
      else this.#lost();
      this.#later(() => this.#rejoin());
    }
    return ack;
  }

  async #join() {
    this.#syncing = true;
    this.#early = [];
    const payload = { room: this.#room };
    if (this.#resumable) Object.assign(payload, { since: this.#seq, opening: this.#opening });
    const ack = await this.call("room:join", payload);
    if (!ack.ok || ack.waiting) {
      this.#syncing = false;
      this.#early = [];
      if (ack.waiting) this.#emit("waiting", { position: ack.waiting.position, of: ack.waiting.of });
      return ack;
    }
    this.#iceServers = ack.ice_servers ?? [];
    this.#opening = ack.opening;
    this.#emit("server-clock", { now: ack.now });
    if (ack.missed) {
      this.#catchUp(ack.missed, ack.seq, ack.you, ack.moderation ?? null);
    } else {
      this.#adopt(ack.snapshot, ack.you, ack.moderation ?? null);
    }
    return ack;
  }

  async #resync() {
    if (this.#syncing) return;
    this.#syncing = true;
    const ack = await this.call("room:snapshot");
    if (ack.ok) {
      this.#emit("server-clock", { now: ack.now });
      this.#adopt(ack.snapshot, null, null);
    } else {
      this.#syncing = false;
      // The seat is gone (e.g. the server process restarted): join again.
      await this.#rejoin();
    }
  }

  #adopt(snapshot, you, moderation = null) {
    this.#seq = snapshot.seq;
    this.#opening = snapshot.opening;
    this.#resumable = true;
    this.#emit("snapshot", { snapshot, you, moderation });
    this.#drainEarly();
  }

  // Resumed: the missed events, in order, then whatever arrived meanwhile. The server
  // leaves out a message deleted since (its text never comes back), so `missed` may skip
  // that seq: apply each in order, then stand at the ack's `seq`.
  #catchUp(missed, seq, you, moderation) {
    this.#emit("resumed", { you, moderation });
    for (const { event, data } of missed) {
      if (data.seq <= this.#seq) continue;
      this.#seq = data.seq;
      this.#emit("room-event", { name: event, data });
    }
    this.#seq = Math.max(this.#seq, seq);
    this.#drainEarly();
  }

  #drainEarly() {
    const early = this.#early.sort((a, b) => a.data.seq - b.data.seq);
    this.#early = [];
    this.#syncing = false;
    for (const { name, data } of early) this.#receive(name, data);
  }

  #receive(name, data) {
    if (this.#syncing) {
      this.#early.push({ name, data });
      return;
    }
    if (typeof data?.seq !== "number" || data.seq <= this.#seq) return; // already seen
    if (data.seq !== this.#seq + 1) {
      this.#early.push({ name, data });
      this.#resync();
      return;
    }
    this.#seq = data.seq;
    this.#emit("room-event", { name, data });
  }

  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit("state", { state });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
