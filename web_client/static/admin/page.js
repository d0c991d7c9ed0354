// The page's shared furniture: which view is showing, the polite live region, the confirm
// dialog, and how a form shows that it is busy or what went wrong. Text is always set with
// textContent.
export const $ = (id) => document.getElementById(id);

const VIEWS = [
  "signin-view",
  "rooms-view",
  "room-form-view",
  "invite-view",
  "series-view",
  "series-form-view",
  "meetings-view",
  "resources-view",
];
const listeners = [];

// Each view's heading takes focus, so keyboard and screen-reader users start there.
export function show(view, { focus = true } = {}) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  document.body.dataset.view = view;
  for (const listener of listeners) listener(view);
  if (focus) $(view).querySelector("h1")?.focus();
}

export function onShow(listener) {
  listeners.push(listener);
}

let clearing = null;

export function announce(text) {
  const region = $("announcer");
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  clearTimeout(clearing);
  clearing = setTimeout(() => region.replaceChildren(), 8000);
}

export function busy(form, on) {
  for (const button of form.querySelectorAll("button")) button.disabled = on;
  form.setAttribute("aria-busy", String(on));
}

export function invalid(input, errorNode, message) {
  errorNode.textContent = message;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

export function clearInvalid(form, errorNode) {
  errorNode.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// A button whose visible word is short ("Edit") and whose accessible name says what it
// acts on ("Edit Family group"), so a list of rooms does not read as ten "Edit" buttons.
export function actionButton(word, subject, onClick, className = "") {
  const button = document.createElement("button");
  button.type = "button";
  if (className) button.className = className;
  button.dataset.action = word;
  button.append(word);
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = ` ${subject}`;
  button.append(hidden);
  button.addEventListener("click", onClick);
  return button;
}

// Ask before something that cannot be undone. Resolves true only on the confirm button.
export function confirmAction({ title, text, action }) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = action;
  const opener = document.activeElement;
  dialog.returnValue = "cancel";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        if (opener && opener.isConnected) opener.focus();
        resolve(dialog.returnValue === "confirm");
      },
      { once: true },
    );
  });
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
