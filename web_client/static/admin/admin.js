// Hearth's admin page: sign in with the admin token, then rooms (with live counts), room
// settings, invite links, schedules and the deployment's resources, all through the REST API under /api/v1. Nothing is
// assumed: every view shows what the server answered. User text goes through textContent.
import { call, token, whenUnauthorized } from "./api.js";
import { $, busy, clearInvalid, invalid, onShow, show } from "./page.js";
import { mountDeploymentResources } from "./deployment-resources.js";
import { mountInvites } from "./invites.js";
import { mountRoomForm } from "./room-form.js";
import { mountRooms } from "./rooms.js";
import { mountScheduleForm } from "./schedule-form.js";
import { mountSeries } from "./series.js";

// Which part of the navigation each view belongs to.
const SECTIONS = {
  "rooms-view": "rooms-view",
  "room-form-view": "rooms-view",
  "invite-view": "rooms-view",
  "series-view": "series-view",
  "series-form-view": "series-view",
  "meetings-view": "series-view",
  "resources-view": "resources-view",
};

function signOut(message = "") {
  token.clear();
  rooms.stop();
  $("nav").hidden = true;
  $("admin-token").value = "";
  $("signin-error").textContent = message;
  show("signin-view");
}

// A token refused later (changed on the server) sends the admin back to sign in.
whenUnauthorized((error) => signOut(error.message));

const rooms = mountRooms({
  onNew: () => roomForm.create(),
  onEdit: (room) => roomForm.edit(room).catch((error) => rooms.fail(error.message)),
  onInvite: (room) => invites.open(room),
});

const roomForm = mountRoomForm({
  saved: (room, created) => {
    show("rooms-view");
    rooms.say(created ? `${room.name} is created (room id ${room.id}).` : `${room.name} is saved.`);
  },
  cancelled: () => show("rooms-view"),
});

const invites = mountInvites({ back: () => show("rooms-view") });

function seriesFailed(error) {
  $("series-status").textContent = "";
  $("series-error").textContent = error.message;
}

const roomName = (id) => rooms.rooms().find((r) => r.id === id)?.name ?? id;

const series = mountSeries({
  roomName,
  onNew: () => scheduleForm.open(null).catch(seriesFailed),
  onEdit: (one) => scheduleForm.open(one).catch(seriesFailed),
});

const scheduleForm = mountScheduleForm({
  saved: async (saved, created) => {
    await rooms.refresh(); // the room now names its series
    const name = roomName(saved.room);
    await series.openMeetings(saved.id);
    $("meetings-status").textContent = created ? `The schedule of ${name} is created.` : `The schedule of ${name} is saved.`;
  },
  cancelled: () => show("series-view"),
});

const deploymentResources = mountDeploymentResources();

// The rooms list polls only while it is on screen.
onShow((view) => {
  if (view === "rooms-view") rooms.start();
  else rooms.stop();
  if (view !== "invite-view") invites.forget(); // an invite link never outlives its view
  if (view === "series-view") rooms.refresh().then(series.refresh);
  if (view === "resources-view") deploymentResources.load();
  const section = SECTIONS[view];
  for (const button of $("nav").querySelectorAll("[data-view]")) {
    if (button.dataset.view === section) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
});

for (const button of $("nav").querySelectorAll("[data-view]")) {
  button.addEventListener("click", () => show(button.dataset.view));
}
$("sign-out").addEventListener("click", () => signOut("You are signed out."));

const signinForm = $("signin-form");
signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("signin-error");
  clearInvalid(signinForm, error);
  const given = $("admin-token").value.trim();
  if (!given) return invalid($("admin-token"), error, "Enter the admin token.");
  busy(signinForm, true);
  try {
    // Checked before it is kept: a wrong token is never stored.
    await call("GET", "/rooms", undefined, { tokenOverride: given });
    token.set(given);
    $("admin-token").value = "";
    $("nav").hidden = false;
    show("rooms-view");
  } catch (failure) {
    invalid($("admin-token"), error, failure.message);
  } finally {
    busy(signinForm, false);
  }
});

if (token.get()) {
  $("nav").hidden = false;
  show("rooms-view", { focus: false });
} else {
  show("signin-view", { focus: false });
}
