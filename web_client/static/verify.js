// The /verify page: asks the server whether a verification is genuine and shows what it
// states, as text. A token in the address's fragment (#token=..., from the QR code) is
// checked at once; fragments never reach the server unless this page sends them. The
// server's reason (its English) is not shown: the catalogue's words are (words/en.js).
import { chooseLanguage, say } from "./words.js";

const $ = (id) => document.getElementById(id);

// The claims shown, in order; their labels are the catalogue's (verify.claims).
const CLAIMS = [
  "meeting", "date", "scheduled_start", "scheduled_end", "minutes_present", "name", "confirmed_by", "iss",
];

function row(label, value) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.textContent = label;
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "—" : String(value);
  tr.append(th, td);
  return tr;
}

async function check(token) {
  const result = $("verify-result");
  const response = await fetch(`/api/v1/attendance/verify?token=${encodeURIComponent(token)}`);
  const body = await response.json().catch(() => ({}));
  result.hidden = false;
  const rows = $("verify-claims").querySelector("tbody");
  if (!response.ok || !body.valid) {
    $("verify-verdict").textContent = say("verify.not_genuine");
    const why = response.ok ? "changed" : response.status === 400 ? "unreadable" : "unavailable";
    $("verify-reason").textContent = say(`verify.${why}`);
    rows.replaceChildren();
    return;
  }
  $("verify-verdict").textContent = say("verify.genuine");
  const issued = new Date(body.attendance.iat * 1000).toISOString();
  $("verify-reason").textContent = say("verify.issued", { when: issued });
  rows.replaceChildren(...CLAIMS.map((key) => row(say(`verify.claims.${key}`), body.attendance[key])));
}

$("verify-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("verify-token").value.trim();
  if (token) check(token);
});

await chooseLanguage();
const fragment = new URLSearchParams(location.hash.slice(1)).get("token");
if (fragment) {
  $("verify-token").value = fragment;
  check(fragment);
}
