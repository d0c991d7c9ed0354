// Create or edit a schedule (a series): which room, one meeting or weekly on chosen days
// (or a custom RRULE for anything else), from which date, at what local time, for how
// long, with how long a lobby, in which time zone. Editing keeps skipped and moved meetings.
import { call, path } from "./api.js";
import { $, busy, clearInvalid, element, invalid, show } from "./page.js";
import { mountResourceEditor } from "./resources-form.js";
import { ROOM_ID } from "./room-form.js";
import { WEEKDAYS, addMinutes, browserZone, minutesBetween, timeZones } from "./when.js";

const SIMPLE_WEEKLY = new Set(["FREQ", "BYDAY", "UNTIL"]);

function ruleParts(rule) {
  return Object.fromEntries(rule ? rule.split(";").map((p) => p.split("=")) : []);
}

// How the form shows an existing rule: "once", "weekly" (days and an optional last date)
// or "custom" (kept as written).
export function readRule(rule) {
  if (!rule) return { repeat: "once", days: [], until: "" };
  const parts = ruleParts(rule);
  const simple = parts.FREQ === "WEEKLY" && parts.BYDAY && Object.keys(parts).every((k) => SIMPLE_WEEKLY.has(k));
  if (!simple) return { repeat: "custom", days: [], until: "" };
  const until = parts.UNTIL ? `${parts.UNTIL.slice(0, 4)}-${parts.UNTIL.slice(4, 6)}-${parts.UNTIL.slice(6, 8)}` : "";
  return { repeat: "weekly", days: parts.BYDAY.split(","), until };
}

export function mountScheduleForm({ saved, cancelled }) {
  const form = $("series-form");
  const error = $("series-form-error");
  const roomSelect = $("series-room");
  const seriesId = $("series-id");
  const zoneSelect = $("series-zone");
  const ruleInput = $("series-rule");
  let editing = null;
  let idTouched = false;

  for (const [code, day] of WEEKDAYS) {
    const box = element("div", "check");
    const input = element("input");
    input.type = "checkbox";
    input.id = `day-${code}`;
    input.value = code;
    input.name = "days";
    const label = element("label", "", day);
    label.htmlFor = input.id;
    box.append(input, label);
    $("series-day-list").append(box);
  }
  for (const zone of timeZones()) zoneSelect.append(new Option(zone, zone));

  const repeat = () => form.elements.repeat.value;
  function showRepeat() {
    $("series-days").hidden = repeat() !== "weekly";
    $("series-until-field").hidden = repeat() !== "weekly";
    $("series-rule-field").hidden = repeat() !== "custom";
    $("series-date-label").textContent = repeat() === "once" ? "Date" : "Starting from";
  }
  for (const radio of form.querySelectorAll("input[name=repeat]")) {
    radio.addEventListener("change", showRepeat);
  }
  roomSelect.addEventListener("change", () => {
    if (!editing && !idTouched) seriesId.value = roomSelect.value;
  });
  seriesId.addEventListener("input", () => {
    idTouched = true;
  });

  const resources = mountResourceEditor($("series-resources"), $("series-resource-add"));

  function fill(series, rooms) {
    const names = new Map(rooms.map((r) => [r.id, r.name]));
    const choices = series
      ? [{ id: series.room, name: names.get(series.room) ?? series.room }]
      : rooms.filter((r) => !r.series);
    roomSelect.replaceChildren(...choices.map((r) => new Option(`${r.name} (${r.id})`, r.id)));
    seriesId.value = series ? series.id : (choices[0]?.id ?? "");
    // A series keeps its room and its id: shown, not offered for change.
    $("series-room-field").hidden = series !== null;
    $("series-id-field").hidden = series !== null;
    $("series-fixed").hidden = series === null;
    $("series-fixed").textContent = series ? `Room: ${choices[0].name} (${series.room}). Schedule id: ${series.id}.` : "";
    const [date, time] = series ? series.starts.split("T") : ["", "19:00"];
    $("series-date").value = date;
    $("series-time").value = time;
    $("series-length").value = String(series ? minutesBetween(series.starts, series.ends) : 90);
    $("series-lobby").value = String(series ? series.lobby_minutes : 10);
    $("series-script").value = series?.script ?? "";
    resources.set(series?.resources ?? []);
    const zone = series ? series.timezone : browserZone();
    if (![...zoneSelect.options].some((o) => o.value === zone)) zoneSelect.append(new Option(zone, zone));
    zoneSelect.value = zone;
    const rule = series ? readRule(series.rule) : { repeat: "weekly", days: [], until: "" };
    form.elements.repeat.value = rule.repeat;
    for (const [code] of WEEKDAYS) $(`day-${code}`).checked = rule.days.includes(code);
    $("series-until").value = rule.until;
    ruleInput.value = series?.rule ?? "";
    $("series-form-title").textContent = series ? `Edit the schedule of ${names.get(series.room) ?? series.room}` : "New schedule";
    clearInvalid(form, error);
    idTouched = false;
    showRepeat();
    return choices.length > 0;
  }

  function rule() {
    if (repeat() === "once") return "";
    if (repeat() === "custom") return ruleInput.value.trim().toUpperCase();
    const days = WEEKDAYS.map(([code]) => code).filter((code) => $(`day-${code}`).checked);
    const until = $("series-until").value;
    return `FREQ=WEEKLY;BYDAY=${days.join(",")}${until ? `;UNTIL=${until.replaceAll("-", "")}` : ""}`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearInvalid(form, error);
    const id = seriesId.value.trim();
    const date = $("series-date").value;
    const time = $("series-time").value;
    const length = Number($("series-length").value);
    const lobby = Number($("series-lobby").value);
    if (!roomSelect.value) return invalid(roomSelect, error, "Choose a room: every room here already has a schedule, or there are none yet.");
    if (!ROOM_ID.test(id)) return invalid(seriesId, error, "The schedule id takes lowercase letters, digits and dashes.");
    if (repeat() === "weekly" && !form.querySelector("input[name=days]:checked")) {
      return invalid($("day-MO"), error, "Choose at least one day of the week.");
    }
    if (repeat() === "custom" && !ruleInput.value.trim()) return invalid(ruleInput, error, "Write the rule, for example FREQ=DAILY.");
    if (!date) return invalid($("series-date"), error, "Choose the date of the first meeting.");
    if (!time) return invalid($("series-time"), error, "Choose the start time.");
    if (!Number.isInteger(length) || length < 1 || length > 1440) {
      return invalid($("series-length"), error, "The length is a whole number of minutes, up to 1440.");
    }
    if (!Number.isInteger(lobby) || lobby < 0 || lobby > 120) {
      return invalid($("series-lobby"), error, "The lobby is a whole number of minutes from 0 to 120.");
    }
    const starts = `${date}T${time}`;
    const schedule = {
      room: roomSelect.value,
      starts,
      ends: addMinutes(starts, length),
      timezone: zoneSelect.value,
      rule: rule(),
      lobby_minutes: lobby,
      script: $("series-script").value,
      resources: resources.get(),
    };
    busy(form, true);
    try {
      const series = editing
        ? await call("PUT", path`/series/${editing.id}`, { ...schedule, skipped: editing.skipped, moved: editing.moved })
        : await call("POST", "/series", { id, ...schedule });
      saved(series, editing === null);
    } catch (failure) {
      invalid(null, error, failure.message);
    } finally {
      busy(form, false);
    }
  });
  form.querySelector(".cancel").addEventListener("click", cancelled);

  return {
    async open(series) {
      const { rooms } = await call("GET", "/rooms");
      editing = series ? await call("GET", path`/series/${series.id}`) : null;
      const any = fill(editing, rooms);
      show("series-form-view");
      if (!any) error.textContent = "Every room already has a schedule. Create a room first.";
    },
  };
}
