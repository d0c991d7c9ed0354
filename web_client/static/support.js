// The crisis path: "I need support now" for anyone, the alert and its acknowledgement for
// moderators, and a private conversation between a moderator and a participant. Requests
// and private messages are never stored by this page either: they live in memory and go
// with the tab. Every piece of text goes through textContent.
import { announce } from "./announcer.js";
import { act, tell } from "./outcome.js";
import { refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function button(text, onClick, label = "") {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = text;
  if (label) node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

// A resource as a list item: its title, what it is, a link or a number to call.
export function resourceItem(resource) {
  const item = document.createElement("li");
  const title = document.createElement("strong");
  title.textContent = resource.title;
  item.append(title);
  if (resource.description) {
    const about = document.createElement("p");
    about.textContent = resource.description;
    item.append(about);
  }
  if (resource.phone) {
    const call = document.createElement("a");
    call.href = `tel:${resource.phone.replace(/[^0-9+]/g, "")}`;
    call.textContent = say("panels.call", { phone: resource.phone });
    item.append(" ", call);
  }
  // The server accepts only http(s) links; checked again here all the same.
  if (/^https?:\/\//.test(resource.link)) {
    const link = document.createElement("a");
    link.href = resource.link;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    link.textContent = resource.link;
    item.append(" ", link);
  }
  return item;
}

export function mountSupport(model, connection) {
  const requests = new Map(); // moderators: member id -> request
  const conversations = new Map(); // member id -> [{from, text, sent_at}]
  let peer = null; // the member id the private panel talks to

  function renderButton() {
    $("support-button").hidden = model.me === null;
  }

  // Moderators: every request, newest first, each with who has seen it.
  function renderRequests() {
    const open = [...requests.values()].sort((a, b) => b.asked_at - a.asked_at);
    $("support-alerts").hidden = !model.isModerator() || open.length === 0;
    // The console's inbox line: how many asked, and how many nobody has answered yet.
    const waiting = open.filter((r) => !r.seen_by).length;
    const answered = waiting ? say("panels.support_unanswered", { count: waiting }) : say("panels.support_all_answered");
    $("support-summary").textContent = open.length
      ? say("panels.support_summary", { count: open.length, answered })
      : say("panels.support_none");
    $("support-list").replaceChildren(...open.map((r) => {
      const item = document.createElement("li");
      const words = document.createElement("span");
      const seen = r.seen_by ? ` ${r.seen_by.name} has seen it.` : " Nobody has answered yet.";
      words.textContent = `${r.participant.name} asked for support at ${timeOf(r.asked_at)}.${seen}`;
      item.append(words);
      if (!r.seen_by) {
        item.append(button("I have seen it", () => act(connection, "support:acknowledge",
          { target: r.participant.id }, say("panels.done_seen_it", { name: r.participant.name })),
        say("panels.seen_it_label", { name: r.participant.name })));
      }
      item.append(button(say("panels.message_privately"), () => openConversation(r.participant.id),
        say("panels.message_privately_label", { name: r.participant.name })));
      return item;
    }));
  }

  function alert(text) {
    // Assertive: a screen reader says it at once, interrupting whatever it was reading.
    $("support-live").textContent = text;
  }

  function nameOf(id) {
    return model.members.get(id)?.name ?? "someone who left";
  }

  function openConversation(id, { focus = true } = {}) {
    peer = id;
    renderConversation();
    $("private-panel").hidden = false;
    if (focus) $("private-text").focus();
  }

  function renderConversation() {
    if (peer === null) return;
    $("private-with").textContent = nameOf(peer);
    $("private-log").replaceChildren(...(conversations.get(peer) ?? []).map((m) => {
      const item = document.createElement("li");
      item.className = m.from.id === model.you ? "message mine" : "message";
      const head = document.createElement("p");
      head.className = "message-head";
      head.textContent = say("panels.private_head",
        { name: m.from.id === model.you ? say("panels.you") : m.from.name, time: timeOf(m.sent_at) });
      const text = document.createElement("p");
      text.className = "message-text";
      text.textContent = m.text;
      item.append(head, text);
      return item;
    }));
  }

  function keep(message) {
    const other = message.from.id === model.you ? message.to : message.from.id;
    if (!conversations.has(other)) conversations.set(other, []);
    conversations.get(other).push(message);
    return other;
  }

  $("support-button").addEventListener("click", async () => {
    const ack = await connection.call("support:request", {});
    if (!ack.ok) {
      tell(say("panels.not_sent", { reason: refusal(ack.error) }), { failed: true });
      return;
    }
    const status = ack.reached > 0
      ? say("events.support_reached", { count: ack.reached })
      : say("events.support_nobody");
    $("support-status").textContent = status;
    $("crisis-resources").replaceChildren(...ack.resources.map(resourceItem));
    $("support-panel").hidden = false;
    $("support-title").focus();
    announce(status);
  });
  $("support-close").addEventListener("click", () => { $("support-panel").hidden = true; });

  $("private-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("private-text");
    const text = input.value.trim();
    if (!text || peer === null) return;
    const to = peer;
    const ack = await connection.call("private:send", { to, text });
    if (ack.ok) {
      input.value = "";
      $("private-error").textContent = "";
    } else {
      $("private-error").textContent = refusal(ack.error);
    }
  });
  $("private-close").addEventListener("click", () => {
    $("private-panel").hidden = true;
    peer = null;
  });

  model.addEventListener("reset", () => { renderButton(); renderRequests(); });
  model.addEventListener("role", renderRequests);

  return {
    // A moderator's snapshot lists the requests made before they arrived.
    applySnapshot(moderation) {
      if (!moderation?.support) return;
      requests.clear();
      for (const r of moderation.support) requests.set(r.participant.id, r);
      renderRequests();
    },
    notice(name, data) {
      switch (name) {
        case "support:requested":
          requests.set(data.participant.id, data);
          renderRequests();
          alert(`${data.participant.name} needs support now`);
          break;
        case "support:seen":
          if (data.participant.id === model.you) {
            const text = say("events.support_seen_yours", { name: data.seen_by.name });
            $("support-status").textContent = text;
            $("support-panel").hidden = false;
            alert(text);
          } else {
            requests.set(data.participant.id, data);
            renderRequests();
            announce(say("events.support_seen", { by: data.seen_by.name, name: data.participant.name }));
          }
          break;
        case "private:message": {
          const other = keep(data);
          if (peer === null || peer === other) openConversation(other, { focus: false });
          if (data.from.id !== model.you) alert(say("panels.private_message_from", { name: data.from.name }));
          break;
        }
        default:
          break;
      }
    },
  };
}
