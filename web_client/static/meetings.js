// /meetings: the upcoming public meetings, from the same data as the Meeting Guide feed
// (/api/v1/meetings.json, same origin: no third-party request, nothing tracked), each at
// its next time in the visitor's own time zone, filterable by day, time of day, kind and
// whether it has audio or is text chat only.
// Every piece of text from the feed is set with textContent.
import { chooseLanguage, say, translatePage } from "./words.js";

const $ = (id) => document.getElementById(id);
// A Meeting Guide type in words (the catalogue's meetings.types), or its code.
const TYPES = ["ONL", "O", "C", "W", "M", "LGBTQ", "BE", "ST", "D", "SP"];
const typeText = (code) => (TYPES.includes(code) ? say(`meetings.types.${code}`) : code);
const PERIODS = { morning: [0, 12], afternoon: [12, 17], evening: [17, 24] };
// How people take part (the feed's `audio`): by voice and in writing, or in writing only.
const way = (meeting) => (meeting.audio === true ? "voice" : "text");

function text(tag, content, className = "") {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

const localDay = new Intl.DateTimeFormat([], { weekday: "long", day: "numeric", month: "long" });
const localTime = new Intl.DateTimeFormat([], { hour: "numeric", minute: "2-digit" });

function entry(meeting) {
  const item = document.createElement("li");
  item.className = "meeting-entry";
  const { start, end } = meeting.next;
  const heading = text("h2", meeting.name);
  const when = text("p", say("meetings.when",
    { day: localDay.format(start), start: localTime.format(start), end: localTime.format(end) }), "when");
  const theirs = text("p", say("meetings.theirs",
    { start: meeting.time, end: meeting.end_time, zone: meeting.timezone }), "help");
  const kinds = (meeting.types ?? []).map(typeText).join(" · ");
  item.append(heading, when, theirs, text("p", kinds || typeText("ONL"), "kinds"),
    text("p", say(`meetings.${way(meeting)}`), "taking-part"));
  if (meeting.notes?.trim()) {
    item.append(text("h3", say("meetings.what_to_expect")), text("p", meeting.notes, "guidelines"));
  }
  const link = document.createElement("a");
  link.href = `/?room=${encodeURIComponent(meeting.slug)}`;
  link.className = "join-link";
  link.textContent = say("meetings.join", { name: meeting.name });
  item.append(link);
  return item;
}

async function main() {
  await chooseLanguage();
  translatePage();
  $("zone").textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const dayNames = [...Array(7).keys()].map((i) =>
    new Intl.DateTimeFormat([], { weekday: "long" }).format(new Date(Date.UTC(2024, 0, 7 + i, 12))));
  for (const [i, name] of dayNames.entries()) $("filter-day").append(new Option(name, String(i)));
  let meetings = [];
  try {
    const response = await fetch("/api/v1/meetings.json", { credentials: "omit" });
    if (!response.ok) throw new Error(String(response.status));
    meetings = await response.json();
  } catch {
    $("meetings-status").textContent = say("meetings.not_loaded");
    return;
  }
  // The server names each meeting's next time (it knows when a series begins and which
  // meetings were moved); one that has ended since the list was made is left out.
  const now = Date.now();
  meetings = meetings
    .map((m) => ({ ...m, next: { start: Date.parse(m.next_start), end: Date.parse(m.next_end) } }))
    .filter((m) => m.next.end > now)
    .sort((a, b) => a.next.start - b.next.start);
  const types = [...new Set(meetings.flatMap((m) => m.types ?? []))];
  for (const code of types) $("filter-type").append(new Option(typeText(code), code));

  function render() {
    const day = $("filter-day").value;
    const period = PERIODS[$("filter-time").value];
    const type = $("filter-type").value;
    const part = $("filter-audio").value;
    const shown = meetings.filter((m) => {
      const at = new Date(m.next.start);
      if (day !== "" && at.getDay() !== Number(day)) return false;
      if (period && !(at.getHours() >= period[0] && at.getHours() < period[1])) return false;
      if (part && way(m) !== part) return false;
      return !type || (m.types ?? []).includes(type);
    });
    $("meetings").replaceChildren(...shown.map(entry));
    if (!meetings.length) $("meetings-status").textContent = say("meetings.none");
    else if (!shown.length) $("meetings-status").textContent = say("meetings.no_match");
    else $("meetings-status").textContent = say("meetings.shown", { count: shown.length });
  }
  for (const id of ["filter-day", "filter-time", "filter-type", "filter-audio"]) $(id).addEventListener("change", render);
  render();
}

main();
