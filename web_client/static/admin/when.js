// Times as an admin reads them: meetings in their own time zone ("Tuesday 6 January 2026,
// 19:00"), and the local wall-clock arithmetic a schedule is written in (YYYY-MM-DDTHH:MM,
// no zone), done on UTC dates so the browser's own zone never shifts it.
export const WEEKDAYS = [
  ["MO", "Monday"],
  ["TU", "Tuesday"],
  ["WE", "Wednesday"],
  ["TH", "Thursday"],
  ["FR", "Friday"],
  ["SA", "Saturday"],
  ["SU", "Sunday"],
];

const pad = (n) => String(n).padStart(2, "0");

function parts(instant, timeZone, options) {
  const format = new Intl.DateTimeFormat("en-GB", { timeZone, ...options });
  return Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
}

export function dayIn(iso, timeZone) {
  const p = parts(new Date(iso), timeZone, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  return `${p.weekday} ${p.day} ${p.month} ${p.year}`;
}

export function clockIn(iso, timeZone) {
  const p = parts(new Date(iso), timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return `${p.hour}:${p.minute}`;
}

// "Tuesday 6 January 2026, 19:00 to 20:30"
export function meetingText(occurrence, timeZone) {
  return `${dayIn(occurrence.starts, timeZone)}, ${clockIn(occurrence.starts, timeZone)} to ${clockIn(occurrence.ends, timeZone)}`;
}

function asUtc(local) {
  const [day, time] = local.split("T");
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  return Date.UTC(y, m - 1, d, hh, mm);
}

export function addMinutes(local, minutes) {
  const t = new Date(asUtc(local) + minutes * 60000);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

export function minutesBetween(startLocal, endLocal) {
  return Math.round((asUtc(endLocal) - asUtc(startLocal)) / 60000);
}

// "2026-03-10" -> "Tuesday 10 March 2026" (a local date, so read in UTC)
export function dateText(key) {
  return dayIn(`${key}T12:00:00Z`, "UTC");
}

export function timeZones() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const all = new Set(zones);
  all.add("UTC");
  all.add(Intl.DateTimeFormat().resolvedOptions().timeZone);
  return [...all].sort();
}

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
