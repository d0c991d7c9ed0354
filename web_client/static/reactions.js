// Reactions: quiet signs of support that never interrupt whoever is sharing. No sound, no
// motion, no pictures that need an emoji font: the last few are listed as text, and screen
// readers hear them gathered into one polite sentence every few seconds ("2 hearts and a
// clap") rather than one by one.
import { announce } from "./announcer.js";
import { tell } from "./outcome.js";
import { list, refusal, say } from "./words.js";

const $ = (id) => document.getElementById(id);
const SHOWN = 5;
const GATHER_MS = 4000;
const REACTIONS = new Set(["heart", "thanks", "clap", "hug", "smile"]);

function counted(counts) {
  return list([...counts].map(([reaction, n]) =>
    (REACTIONS.has(reaction) ? say(`events.reaction.${reaction}`, { count: n }) : reaction)));
}

export function mountReactions(model, connection) {
  const buttons = [...document.querySelectorAll("[data-reaction]")];
  const recent = $("reactions-recent");
  let gathered = new Map();
  let gathering = null;

  function render() {
    for (const b of buttons) b.disabled = model.held();
  }

  function show(member, reaction) {
    const item = document.createElement("li");
    const name = member.id === model.you ? say("panels.you") : member.name;
    item.textContent = say("panels.reaction_line", { name, reaction });
    recent.append(item);
    while (recent.children.length > SHOWN) recent.firstElementChild.remove();
    gathered.set(reaction, (gathered.get(reaction) ?? 0) + 1);
    gathering ??= setTimeout(() => {
      announce(say("events.reactions", { list: counted(gathered) }));
      gathered = new Map();
      gathering = null;
    }, GATHER_MS);
  }

  for (const b of buttons) {
    b.addEventListener("click", async () => {
      const reaction = b.dataset.reaction;
      const ack = await connection.call("reaction:send", { reaction });
      if (ack.ok) connection.offer("reaction", { seq: ack.seq, from: model.you, reaction });
      else tell(say("panels.not_sent", { reason: refusal(ack.error) }), { failed: true });
    });
  }
  model.addEventListener("reaction", (e) => show(e.detail.member, e.detail.reaction));
  model.addEventListener("reset", render);
  model.addEventListener("paused", render);
  model.addEventListener("role", render);
}
