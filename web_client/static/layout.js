// The meeting layout's own controls: the chat panel opened and closed (a side panel at
// desktop width, a drawer over the room on a phone, closed there until asked for), the
// skip link to the message box, and the keyboard shortcuts with their help dialog.
//
// Shortcuts use Alt+Shift with a letter: screen readers (NVDA, JAWS: Insert or Caps Lock;
// VoiceOver: Control+Option; Narrator: Caps Lock) and browsers leave those free. They do
// nothing while typing in a field, and nothing outside the room view.
import { say } from "./words.js";

const $ = (id) => document.getElementById(id);
const PHONE = window.matchMedia("(max-width: 63.99rem)");

export function mountLayout() {
  const room = $("room-view");
  const toggle = $("chat-toggle");
  const help = $("shortcuts-dialog");

  function setChat(open, { focus = false } = {}) {
    room.classList.toggle("chat-closed", !open);
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = say(open ? (PHONE.matches ? "panels.close_chat" : "panels.hide_chat") : "panels.chat");
    if (open && focus) $("chat-text").focus();
  }
  const chatOpen = () => !room.classList.contains("chat-closed");

  setChat(!PHONE.matches);
  PHONE.addEventListener("change", () => setChat(!PHONE.matches));
  toggle.addEventListener("click", () => setChat(!chatOpen(), { focus: !chatOpen() }));

  // The skip link and the shortcut open the chat first when it is closed.
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    setChat(true, { focus: true });
  });

  $("shortcuts-button").addEventListener("click", () => help.showModal());
  help.addEventListener("close", () => $("shortcuts-button").focus());

  const typing = (target) => target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  const press = (id) => {
    const button = $(id);
    if (button && !button.disabled && button.offsetParent !== null) button.click();
  };

  document.addEventListener("keydown", (event) => {
    if (room.hidden || !event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target) && event.code !== "KeyC") return;
    const action = {
      KeyM: () => press("mic-button"),
      KeyH: () => press("hand-button"),
      KeyC: () => setChat(true, { focus: true }),
      KeyK: () => { if (!help.open) help.showModal(); },
    }[event.code];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
