// Attendance verifications: anyone downloads a signed, printable page (the server signs
// it; this page only saves what the server sent), and facilitators confirm who attended.
// The name to print goes to the server for the signature and nowhere else.
import { act } from "./outcome.js";
import { refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);

function save(html) {
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "attendance-verification.html";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function mountAttendance(model, connection) {
  const confirmed = new Set(); // member ids this facilitator confirmed

  function renderList() {
    $("confirm-section").hidden = !model.isFacilitator();
    if (!model.isFacilitator()) return;
    const others = [...model.members.values()].filter((m) => m.id !== model.you);
    $("attendance-list").replaceChildren(...others.map((member) => {
      const item = document.createElement("li");
      const words = document.createElement("span");
      words.textContent = confirmed.has(member.id) ? `${member.name}: confirmed` : member.name;
      item.append(words);
      if (!confirmed.has(member.id)) {
        const confirm = document.createElement("button");
        confirm.type = "button";
        confirm.textContent = say("console.confirm");
        confirm.setAttribute("aria-label", say("console.confirm_label", { name: member.name }));
        confirm.addEventListener("click", async () => {
          const ack = await act(connection, "attendance:confirm", { target: member.id },
            say("console.done_confirmed", { name: member.name }));
          if (ack.ok) {
            confirmed.add(member.id);
            renderList();
          }
        });
        item.append(confirm);
      }
      return item;
    }));
  }

  $("attendance-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("attendance-error");
    const name = $("attendance-name").value.trim();
    if (!name) {
      error.textContent = say("panels.attendance_name_first");
      return;
    }
    const ack = await connection.call("attendance:request", { name });
    if (!ack.ok) {
      error.textContent = refusal(ack.error);
      return;
    }
    error.textContent = "";
    save(ack.document);
    $("attendance-confirmed").textContent =
      say("panels.attendance_downloaded", { count: ack.attendance.minutes_present });
    $("attendance-confirmed").hidden = false;
  });

  for (const name of ["reset", "joined", "left", "role"]) model.addEventListener(name, renderList);

  return {
    notice(name, data) {
      if (name !== "attendance:confirmed") return;
      $("attendance-confirmed").textContent = `${data.by} confirmed your attendance; it is on your verification.`;
      $("attendance-confirmed").hidden = false;
    },
  };
}
