// The deployment's resources: what every room and schedule without a list of its own
// shows. Read afresh each time the view opens (another admin, or another process, may
// have changed them); saved for every server process at once; "Use the server's file
// again" forgets the list set here, so HEARTH_RESOURCES_FILE's counts again.
import { call } from "./api.js";
import { $, busy, clearInvalid, invalid } from "./page.js";
import { mountResourceEditor } from "./resources-form.js";

const SOURCES = {
  admin: "This list was set here, for every meeting on this server.",
  settings: "This list comes from the server's settings (HEARTH_RESOURCES_FILE), if any. Saving here replaces it.",
};

export function mountDeploymentResources() {
  const form = $("resources-form");
  const error = $("resources-error");
  const status = $("resources-status");
  const editor = mountResourceEditor($("deployment-resources"), $("deployment-resource-add"));

  function showing(found, said = "") {
    editor.set(found.resources);
    $("resources-source").textContent = SOURCES[found.source] ?? "";
    $("resources-reset").hidden = found.source !== "admin";
    status.textContent = said;
  }

  async function send(method, body, said) {
    clearInvalid(form, error);
    status.textContent = "";
    busy(form, true);
    try {
      showing(await call(method, "/resources", body), said);
    } catch (failure) {
      invalid(null, error, failure.message);
    } finally {
      busy(form, false);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send("PUT", { resources: editor.get() }, "The resources are saved for every meeting.");
  });
  $("resources-reset").addEventListener("click", () => {
    send("DELETE", undefined, "The server's file is used again.");
  });

  return {
    load: () => send("GET", undefined, ""),
  };
}
