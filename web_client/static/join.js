// Joining: the invitation in the link, your name, the room's guidelines and your consent.
//
// An invite link is `/?room=ID#token=...`: the token sits in the fragment, which browsers
// never send to the server, so it stays out of request lines and logs. We keep it in this
// tab's sessionStorage (so a reload still works) and take it out of the address bar.
// Nobody in the room sees you until you have agreed to the guidelines: `room:info` reads
// them without taking a seat, and `room:join` happens only after consent.
import { Connection } from "./connection.js";
import { showBeforeJoining } from "./script-resources.js";
import { refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);
const STORED = "hearth.invitation";
const GUEST_KEY = "hearth.guest-key";
const COLOUR = "hearth.colour"; // the tile colour chosen in this tab, kept for a reload
// The tile colours the server takes (rooms.identity.TileColour), named by the catalogue.
const TILE_COLOURS = ["sage", "sky", "sand", "rose", "lilac", "teal"];

function colourChoice(colour) {
  const box = document.createElement("div");
  box.className = "check";
  const input = document.createElement("input");
  Object.assign(input, { type: "radio", name: "colour", id: `colour-${colour}`, value: colour });
  const label = document.createElement("label");
  label.htmlFor = input.id;
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.dataset.colour = colour;
  swatch.setAttribute("aria-hidden", "true");
  swatch.textContent = "Aa";
  label.append(swatch, ` ${say(`colours.${colour}`)}`);
  box.append(input, label);
  return box;
}
const ROOM_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function readInvitation() {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const room = (query.get("room") ?? "").trim().toLowerCase();
  let token = fragment.get("token");
  if (token) {
    sessionStorage.setItem(STORED, JSON.stringify({ room, token }));
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    const stored = JSON.parse(sessionStorage.getItem(STORED) ?? "null");
    if (stored && stored.room === room) token = stored.token;
  }
  return { room, token: token || null };
}

// wire(connection) is called as soon as a connection exists, before it enters the room, so
// the room view hears the join's snapshot.
export function mountJoin({ invite, show, wire, onEntered, onWaiting }) {
  const form = $("join-form");
  const roomInput = $("room-id");
  const nameInput = $("display-name");
  const joinError = $("join-error");
  const consentForm = $("consent-form");
  const consent = $("consent");
  const consentError = $("consent-error");
  let connection = null;
  let roomId = null;
  let roomName = "";

  roomInput.value = invite.room;
  $("colour-choices").append(...TILE_COLOURS.map(colourChoice));
  const kept = sessionStorage.getItem(COLOUR);
  const keptChoice = kept && form.querySelector(`input[name="colour"][value="${CSS.escape(kept)}"]`);
  if (keptChoice) keptChoice.checked = true;
  if (invite.token) {
    $("name-field").hidden = true;
    nameInput.required = false;
    $("invite-note").hidden = false;
  }

  function fail(node, input, message) {
    node.textContent = message;
    input?.setAttribute("aria-invalid", "true");
    input?.focus();
  }

  function busy(formNode, on) {
    for (const b of formNode.querySelectorAll("button")) b.disabled = on;
    formNode.setAttribute("aria-busy", String(on));
  }

  // A guest's random key for this tab: a reconnect takes the same seat, not a second one.
  function guestKey() {
    let key = sessionStorage.getItem(GUEST_KEY);
    if (!key) {
      const bytes = crypto.getRandomValues(new Uint8Array(24));
      key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      sessionStorage.setItem(GUEST_KEY, key);
    }
    return key;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    joinError.textContent = "";
    roomInput.removeAttribute("aria-invalid");
    nameInput.removeAttribute("aria-invalid");
    roomId = roomInput.value.trim().toLowerCase();
    const name = nameInput.value.trim();
    if (!ROOM_ID.test(roomId)) {
      fail(joinError, roomInput, say("panels.room_name_needed"));
      return;
    }
    if (!invite.token && !name) {
      fail(joinError, nameInput, say("panels.name_needed"));
      return;
    }
    busy(form, true);
    connection?.quit();
    // The tile colour goes with who you are (the server refuses one not in its set).
    const colour = form.querySelector('input[name="colour"]:checked')?.value ?? "";
    sessionStorage.setItem(COLOUR, colour);
    const chosen = colour ? { colour } : {};
    connection = new Connection(invite.token ? { token: invite.token, ...chosen } : { name, key: guestKey(), ...chosen });
    wire(connection);
    const opened = await connection.open();
    const ack = opened.ok ? await connection.call("room:info", { room: roomId }) : opened;
    busy(form, false);
    if (!ack.ok) {
      connection.quit();
      fail(joinError, null, refusal(ack.error));
      return;
    }
    roomName = ack.room.name;
    $("guidelines-room").textContent = ack.room.name;
    const text = ack.room.guidelines.trim();
    $("guidelines-text").textContent = text || say("panels.no_guidelines");
    await showBeforeJoining(connection, roomId, ack);
    consent.checked = false;
    consentError.textContent = "";
    show("guidelines-view");
  });

  consentForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    consentError.textContent = "";
    consent.removeAttribute("aria-invalid");
    if (!consent.checked) {
      fail(consentError, consent, say("panels.consent_needed"));
      return;
    }
    busy(consentForm, true);
    const ack = await connection.enter(roomId);
    busy(consentForm, false);
    if (!ack.ok) {
      fail(consentError, null, refusal(ack.error));
      return;
    }
    if (ack.waiting) onWaiting(roomName);
    else onEntered(connection);
  });

  $("consent-back").addEventListener("click", () => {
    connection?.quit();
    connection = null;
    show("join-view");
  });

  return { current: () => connection };
}
