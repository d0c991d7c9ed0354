// The chat log (newest at the bottom, read out by screen readers as it grows) and the
// message form. Message text and names are only ever set with textContent.
const $ = (id) => document.getElementById(id);
const NEAR_BOTTOM_PX = 48;

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function mountChat(model, connection) {
  const log = $("chat-log"); // scrolls
  const list = $("chat");
  const form = $("chat-form");
  const input = $("chat-text");
  const error = $("chat-error");
  const send = form.querySelector("button[type=submit]");

  function item(message) {
    const li = document.createElement("li");
    li.className = message.from === model.you ? "message mine" : "message";
    li.dataset.message = String(message.id);
    const head = document.createElement("p");
    head.className = "message-head";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = message.from === model.you ? `${message.name} (you)` : message.name;
    const time = document.createElement("time");
    time.dateTime = new Date(message.sent_at).toISOString();
    time.textContent = timeOf(message.sent_at);
    head.append(name, " ", time);
    const text = document.createElement("p");
    text.className = "message-text";
    text.textContent = message.text;
    li.append(head, text);
    return li;
  }

  function append(messages) {
    if (!messages.length) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
    list.append(...messages.map(item));
    $("chat-empty").hidden = true;
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  model.addEventListener("reset", (e) => append(e.detail.messages));
  model.addEventListener("chat", (e) => append(e.detail.messages));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      error.textContent = "Type a message first.";
      return;
    }
    send.disabled = true;
    error.textContent = "";
    const ack = await connection.call("chat:send", { text });
    send.disabled = false;
    if (ack.ok) {
      input.value = "";
      connection.offer("chat:message", { seq: ack.message.id, message: ack.message });
      log.scrollTop = log.scrollHeight;
    } else {
      error.textContent = ack.error.message;
    }
    input.focus();
  });
}
