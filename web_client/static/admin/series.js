// Schedules: every series with its next meeting, and one series' next meetings, each of
// which may be skipped or moved to another local time. Skipped meetings can be brought
// back. Every change shows the schedule as the server saved it.
import { call, path } from "./api.js";
import { $, actionButton, busy, confirmAction, element, show } from "./page.js";
import { WEEKDAYS, clockIn, dateText, meetingText, minutesBetween } from "./when.js";
import { readRule } from "./schedule-form.js";

export function describe(series) {
  const time = `${series.starts.slice(11)} for ${minutes(series)}`;
  const rule = readRule(series.rule);
  if (rule.repeat === "once") return `Once, on ${dateText(series.starts.slice(0, 10))} at ${time}, ${series.timezone} time`;
  if (rule.repeat === "weekly") {
    const days = WEEKDAYS.filter(([code]) => rule.days.includes(code)).map(([, day]) => day);
    const until = rule.until ? `, until ${dateText(rule.until)}` : "";
    return `Weekly on ${days.join(", ")} at ${time}, ${series.timezone} time${until}`;
  }
  return `${series.rule} at ${time}, ${series.timezone} time`;
}

function minutes(series) {
  const total = minutesBetween(series.starts, series.ends);
  return total % 60 === 0 ? `${total / 60} h` : `${total} min`;
}

export function mountSeries({ roomName, onNew, onEdit }) {
  const list = $("series-list");
  const status = $("series-status");
  const errors = $("series-error");
  const meetingsStatus = $("meetings-status");
  const meetingsError = $("meetings-error");

  function card(series) {
    const name = roomName(series.room);
    const item = element("li", "card");
    item.dataset.series = series.id;
    item.append(element("h2", "card-title", name));
    item.append(element("p", "", describe(series)));
    const next = series.upcoming[0];
    item.append(
      element("p", "next", next ? `Next meeting: ${meetingText(next, series.timezone)}` : "No meetings to come."),
    );
    const facts = element("dl", "facts");
    facts.append(element("dt", "", "Schedule id"), element("dd", "", series.id));
    facts.append(element("dt", "", "Lobby"), element("dd", "", `${series.lobby_minutes} min before`));
    item.append(facts);
    const actions = element("div", "actions");
    actions.append(
      actionButton("Meetings", `of ${name}`, () => openMeetings(series.id)),
      actionButton("Edit", `the schedule of ${name}`, () => onEdit(series)),
      actionButton("Delete", `the schedule of ${name}`, () => remove(series, name), "danger"),
    );
    item.append(actions);
    return item;
  }

  async function refresh() {
    try {
      const { series } = await call("GET", "/series");
      errors.textContent = "";
      list.replaceChildren(...series.map(card));
      $("series-empty").hidden = series.length > 0;
    } catch (failure) {
      errors.textContent = failure.message;
    }
  }

  async function remove(series, name) {
    const sure = await confirmAction({
      title: `Delete the schedule of ${name}?`,
      text: "No more meetings open by themselves. The room stays, and stays open if it is open now.",
      action: "Delete the schedule",
    });
    if (!sure) return;
    status.textContent = "";
    try {
      await call("DELETE", path`/series/${series.id}`);
      status.textContent = `The schedule of ${name} is deleted.`;
    } catch (failure) {
      errors.textContent = failure.message;
    }
    await refresh();
    $("series-title").focus();
  }

  function meeting(series, occurrence) {
    const item = element("li", "card");
    item.dataset.occurrence = occurrence.occurrence;
    const moved = series.moved.some((m) => m.occurrence === occurrence.occurrence);
    item.append(element("p", "meeting", meetingText(occurrence, series.timezone)));
    const lobby = `Lobby opens at ${clockIn(occurrence.lobby_opens, series.timezone)}.`;
    item.append(element("p", "help", moved ? `${lobby} Moved from ${dateText(occurrence.occurrence)}.` : lobby));
    const when = dateText(occurrence.occurrence);
    const form = element("form", "move-form");
    form.hidden = true;
    form.noValidate = true;
    const inputId = `move-${occurrence.occurrence}`;
    const label = element("label", "", `New start for the meeting of ${when}`);
    label.htmlFor = inputId;
    const input = element("input");
    input.type = "datetime-local";
    input.id = inputId;
    input.required = true;
    input.value = localStart(series, occurrence);
    const buttons = element("div", "actions");
    const submit = element("button", "primary", "Move the meeting");
    submit.type = "submit";
    const cancel = element("button", "", "Cancel");
    cancel.type = "button";
    buttons.append(submit, cancel);
    form.append(label, input, buttons);
    const actions = element("div", "actions");
    const moveButton = actionButton("Move", `the meeting of ${when}`, () => {
      form.hidden = false;
      moveButton.setAttribute("aria-expanded", "true");
      input.focus();
    });
    moveButton.setAttribute("aria-expanded", "false");
    cancel.addEventListener("click", () => {
      form.hidden = true;
      moveButton.setAttribute("aria-expanded", "false");
      moveButton.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!input.value) {
        meetingsError.textContent = "Choose the new date and time.";
        input.focus();
        return;
      }
      busy(form, true);
      await change(
        () => call("POST", path`/series/${series.id}/occurrences/${occurrence.occurrence}/move`, { starts: input.value.slice(0, 16) }),
        (saved) => {
          const now = saved.upcoming.find((o) => o.occurrence === occurrence.occurrence);
          return now ? `The meeting of ${when} is now on ${meetingText(now, saved.timezone)}.` : `The meeting of ${when} is moved.`;
        },
      );
      busy(form, false);
    });
    actions.append(
      actionButton("Skip", `the meeting of ${when}`, async () => {
        const sure = await confirmAction({
          title: `Skip the meeting of ${when}?`,
          text: "The room will not open for it. You can bring it back later.",
          action: "Skip the meeting",
        });
        if (!sure) return;
        await change(
          () => call("POST", path`/series/${series.id}/occurrences/${occurrence.occurrence}/skip`),
          (saved) => (saved.skipped.includes(occurrence.occurrence) ? `The meeting of ${when} is skipped.` : `The meeting of ${when} was not skipped.`),
        );
      }),
      moveButton,
    );
    item.append(actions, form);
    return item;
  }

  function localStart(series, occurrence) {
    const day = new Intl.DateTimeFormat("en-CA", {
      timeZone: series.timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).format(new Date(occurrence.starts));
    return `${day}T${clockIn(occurrence.starts, series.timezone)}`;
  }

  function renderMeetings(series) {
    const name = roomName(series.room);
    $("meetings-title").textContent = `Meetings of ${name}`;
    $("meetings-summary").textContent = describe(series);
    $("meetings-list").replaceChildren(...series.upcoming.map((o) => meeting(series, o)));
    $("meetings-empty").hidden = series.upcoming.length > 0;
    const skipped = $("meetings-skipped");
    skipped.replaceChildren(
      ...series.skipped.map((key) => {
        const item = element("li", "skipped");
        item.append(element("span", "", dateText(key)));
        item.append(
          actionButton("Bring back", `the meeting of ${dateText(key)}`, () =>
            change(
              () => call("PUT", path`/series/${series.id}`, restore(series, key)),
              (saved) => (saved.skipped.includes(key) ? `The meeting of ${dateText(key)} is still skipped.` : `The meeting of ${dateText(key)} is back.`),
            ),
          ),
        );
        return item;
      }),
    );
    $("meetings-skipped-title").hidden = series.skipped.length === 0;
  }

  function restore(series, key) {
    const { id: _id, upcoming: _upcoming, ...schedule } = series;
    return { ...schedule, skipped: series.skipped.filter((k) => k !== key) };
  }

  async function change(doing, explain) {
    meetingsStatus.textContent = "";
    meetingsError.textContent = "";
    try {
      const saved = await doing();
      renderMeetings(saved);
      meetingsStatus.textContent = explain(saved);
      $("meetings-title").focus();
    } catch (failure) {
      meetingsError.textContent = failure.message;
    }
  }

  async function openMeetings(id) {
    meetingsStatus.textContent = "";
    meetingsError.textContent = "";
    try {
      renderMeetings(await call("GET", path`/series/${id}`));
      show("meetings-view");
    } catch (failure) {
      errors.textContent = failure.message;
    }
  }

  $("new-series").addEventListener("click", onNew);
  $("meetings-view").querySelector(".cancel").addEventListener("click", () => show("series-view"));

  return {
    refresh,
    openMeetings,
  };
}
