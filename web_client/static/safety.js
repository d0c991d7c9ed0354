// Quick exit: a visible button, or Escape pressed twice, leaves the room at once and
// replaces this page with a neutral one. The neutral page takes this page's place in the
// history, and nothing Hearth kept in the tab (the invitation) survives.
import { say } from "./words.js";

const DOUBLE_PRESS_MS = 1500;

export function installQuickExit({ button, hint, leave }) {
  const target = button.dataset.exitUrl || "/static/neutral.html";
  let lastEscape = -Infinity;
  let gone = false;

  function exit() {
    if (gone) return;
    gone = true;
    try {
      leave();
    } finally {
      sessionStorage.clear();
      document.title = say("panels.exit_title");
      // Hidden, not emptied: the room's scripts may still run a callback or two before
      // the neutral page replaces this one, and must find their elements.
      document.body.hidden = true;
      location.replace(target);
    }
  }

  button.addEventListener("click", exit);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.repeat) return;
    const now = performance.now();
    if (now - lastEscape < DOUBLE_PRESS_MS) {
      event.preventDefault();
      exit();
      return;
    }
    lastEscape = now;
    hint.textContent = say("panels.escape_again");
    setTimeout(() => { hint.textContent = ""; }, DOUBLE_PRESS_MS);
  });
}
