// The meeting script (pinned at the top of the room; facilitators pin, change or clear
// it) and the resources panel (local organisations, crisis lines, readings, coping
// exercises), both also shown before joining, beside the guidelines. Text only.
import { announce } from "./announcer.js";
import { say } from "./words.js";
import { act } from "./outcome.js";
import { resourceItem } from "./support.js";

const $ = (id) => document.getElementById(id);

function renderResources(list, section, resources) {
  list.replaceChildren(...resources.map(resourceItem));
  section.hidden = resources.length === 0;
}

// Before consenting: the script and resources go beside the room's guidelines.
export async function showBeforeJoining(connection, roomId, info) {
  const script = (info.script ?? "").trim();
  $("guidelines-script").textContent = script;
  $("guidelines-script-section").hidden = !script;
  const ack = await connection.call("room:resources", { room: roomId });
  renderResources($("guidelines-resources"), $("guidelines-resources-section"), ack.ok ? ack.resources : []);
}

export function mountScript(model, connection) {
  let script = "";

  function renderScript() {
    $("script-text").textContent = script;
    $("script-panel").hidden = !script;
    $("script-tools").hidden = !model.isFacilitator();
  }

  async function loadResources() {
    if (!model.info) return;
    const ack = await connection.call("room:resources", { room: model.info.id });
    if (ack.ok) renderResources($("resources-list"), $("resources-panel"), ack.resources);
  }

  $("script-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(connection, "script:pin", { text: $("script-input").value },
      say("console.done_script_pinned"));
  });
  $("script-clear").addEventListener("click", async () => {
    const ack = await act(connection, "script:pin", { text: "" }, say("console.done_script_cleared"));
    if (ack.ok) $("script-input").value = "";
  });

  model.addEventListener("role", renderScript);

  return {
    applySnapshot(snapshot) {
      const first = model.info === null || !$("resources-list").children.length;
      script = snapshot.script ?? "";
      if (!$("script-input").value) $("script-input").value = script;
      renderScript();
      if (first) loadResources();
    },
    event(name, data) {
      if (name !== "room:script") return;
      script = data.script;
      renderScript();
      announce(say(script ? "events.script_pinned" : "events.script_cleared"));
    },
  };
}
