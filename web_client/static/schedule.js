// When a scheduled meeting ends: "Ends at 20:30 · 25 minutes left" under the room's name,
// redrawn once a minute (not a ticking clock), and a calm notice when the room says it is
// closing soon (`room:closing`). Rooms without a schedule show nothing.
import { announce } from "./announcer.js";
import { say } from "./words.js";

const $ = (id) => document.getElementById(id);
const MINUTE_MS = 60_000;

function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function minutesLeft(endsAt) {
  const minutes = Math.max(0, Math.ceil((endsAt - Date.now()) / MINUTE_MS));
  if (minutes === 0) return say("panels.ending_now");
  return say("panels.minutes_left", { count: minutes });
}

export function mountSchedule(model) {
  const line = $("time-left");
  const note = $("closing-note");
  let timer = null;

  function render() {
    const endsAt = model.info?.ends_at ?? null;
    line.hidden = endsAt === null;
    if (endsAt !== null) line.textContent = say("panels.ends_at", { at: clockTime(endsAt), left: minutesLeft(endsAt) });
    clearTimeout(timer);
    timer = null;
    if (endsAt !== null && !model.closed) {
      // Redraw just after the next whole minute left, so the count never lags a minute.
      const untilNext = ((endsAt - Date.now()) % MINUTE_MS + MINUTE_MS) % MINUTE_MS;
      timer = setTimeout(render, untilNext + 50);
    }
  }

  model.addEventListener("reset", render);
  model.addEventListener("closing", (e) => {
    const at = clockTime(e.detail.closesAt);
    const minutes = Math.max(0, Math.ceil((e.detail.closesAt - Date.now()) / MINUTE_MS));
    note.textContent = minutes > 0
      ? say("events.closing", { at, count: minutes })
      : say("events.closing_now");
    note.hidden = false;
    announce(say("events.meeting_ends", { at }));
    render();
  });
  model.addEventListener("closed", () => clearTimeout(timer));
}
