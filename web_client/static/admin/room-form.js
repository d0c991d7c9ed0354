// Create or edit a room: name, id (fixed once made), capacity, guidelines, the meeting
// script, what latecomers see, resources, private messages, guests, audio, public.
// The form closes only when the server has answered with the saved room.
import { call, path } from "./api.js";
import { $, busy, clearInvalid, invalid, show } from "./page.js";
import { mountResourceEditor } from "./resources-form.js";

export const ROOM_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const DEFAULT_CAPACITY = 50;

// "Tuesday Family Group!" -> "tuesday-family-group": a suggestion the admin may change.
export function slug(text) {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

export function mountRoomForm({ saved, cancelled }) {
  const form = $("room-form");
  const name = $("room-name");
  const id = $("room-slug");
  const capacity = $("room-capacity");
  const guidelines = $("room-guidelines");
  const guests = $("room-guests");
  const publicFeed = $("room-public");
  const audio = $("room-audio");
  const script = $("room-script");
  const history = $("room-history");
  const privateMessages = $("room-private");
  const resources = mountResourceEditor($("room-resources"), $("room-resource-add"));
  const error = $("room-form-error");
  let editing = null; // the room being edited, or null when creating
  let idTouched = false;

  function fill(room) {
    name.value = room?.name ?? "";
    id.value = room?.id ?? "";
    capacity.value = String(room?.capacity ?? DEFAULT_CAPACITY);
    guidelines.value = room?.guidelines ?? "";
    guests.checked = room?.allow_guests ?? false;
    publicFeed.checked = room?.public ?? false;
    audio.checked = room?.audio ?? false;
    script.value = room?.script ?? "";
    history.value = room?.history ?? "since_joined";
    privateMessages.checked = room?.private_messages ?? false;
    resources.set(room?.resources ?? []);
    $("room-id-field").hidden = room !== null;
    $("room-id-fixed").hidden = room === null;
    $("room-id-fixed").textContent = room ? `Room id: ${room.id} (part of every invite link)` : "";
    $("room-form-title").textContent = room ? `Edit ${room.name}` : "New room";
    $("room-submit").textContent = room ? "Save changes" : "Create room";
    clearInvalid(form, error);
    idTouched = false;
  }

  name.addEventListener("input", () => {
    if (!editing && !idTouched) id.value = slug(name.value);
  });
  id.addEventListener("input", () => {
    idTouched = true;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearInvalid(form, error);
    const settings = {
      name: name.value.trim(),
      capacity: Number(capacity.value),
      guidelines: guidelines.value,
      allow_guests: guests.checked,
      public: publicFeed.checked,
      audio: audio.checked,
      script: script.value,
      history: history.value,
      private_messages: privateMessages.checked,
      resources: resources.get(),
    };
    const roomId = editing ? editing.id : id.value.trim();
    if (!settings.name) return invalid(name, error, "Give the room a name.");
    if (!ROOM_ID.test(roomId)) {
      return invalid(id, error, "The room id takes lowercase letters, digits and dashes, and starts with a letter or digit.");
    }
    if (!Number.isInteger(settings.capacity) || settings.capacity < 1 || settings.capacity > 500) {
      return invalid(capacity, error, "Capacity is a whole number from 1 to 500.");
    }
    busy(form, true);
    try {
      const room = editing
        ? await call("PUT", path`/rooms/${roomId}`, settings)
        : await call("POST", "/rooms", { id: roomId, ...settings });
      saved(room, editing === null);
    } catch (failure) {
      invalid(null, error, failure.message);
    } finally {
      busy(form, false);
    }
  });
  form.querySelector(".cancel").addEventListener("click", cancelled);

  return {
    create() {
      editing = null;
      fill(null);
      show("room-form-view");
    },
    // The freshest settings (another admin may have changed them), read before the form
    // shows, so nothing the admin types is overwritten by a late answer.
    async edit(room) {
      const current = await call("GET", path`/rooms/${room.id}`);
      editing = current;
      fill(current);
      show("room-form-view");
    },
  };
}
