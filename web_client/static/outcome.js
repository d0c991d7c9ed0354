// What the server said about something you asked for. The page never assumes an action
// worked: it says so when the ack confirms it, and says why not otherwise (words.js).
import { refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);

export function tell(text, { failed = false } = {}) {
  const node = $("action-status");
  node.textContent = text;
  node.dataset.failed = String(failed);
}

// Sends an acknowledged call and reports the outcome; resolves with the ack.
export async function act(connection, event, payload, done) {
  const ack = await connection.call(event, payload);
  if (ack.ok) tell(typeof done === "function" ? done(ack) : done);
  else tell(say("actions.not_done", { reason: refusal(ack.error) }), { failed: true });
  return ack;
}
