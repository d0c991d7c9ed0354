// Invite links for one room: a name, a role and an expiry in; a signed link out.
//
// A link is a key to the room, so it is treated as a secret: it is kept only in this view
// (never stored, never logged), hidden until the admin asks to see it, and forgotten when
// the view is left.
import { call, path } from "./api.js";
import { $, busy, clearInvalid, invalid, show } from "./page.js";

const WHEN = { dateStyle: "full", timeStyle: "short" };

export function mountInvites({ back }) {
  const form = $("invite-form");
  const name = $("invite-name");
  const error = $("invite-error");
  const made = $("invite-made");
  const link = $("invite-link");
  const linkField = $("invite-link-field");
  const showButton = $("invite-show");
  const status = $("invite-status");
  let room = null;

  function reveal(on) {
    linkField.hidden = !on;
    showButton.textContent = on ? "Hide link" : "Show link";
    showButton.setAttribute("aria-expanded", String(on));
  }

  function forget() {
    link.value = "";
    made.hidden = true;
    status.textContent = "";
    reveal(false);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearInvalid(form, error);
    forget();
    const who = name.value.trim();
    if (!who) return invalid(name, error, "Enter the name of the person you are inviting.");
    const role = form.elements.role.value;
    busy(form, true);
    try {
      const invite = await call("POST", path`/rooms/${room.id}/invites`, {
        name: who,
        role,
        ttl_s: Number($("invite-expiry").value),
      });
      // Relative unless the server knows its public address; this page's own address
      // is the one the admin trusts, never a Host header the server was sent.
      link.value = new URL(invite.url, location.href).href;
      const expires = new Date(invite.expires_at).toLocaleString([], WHEN);
      $("invite-summary").textContent =
        `An invite link for ${who} as ${invite.role === "facilitator" ? "a facilitator" : "a participant"} ` +
        `in ${room.name}, valid until ${expires}.`;
      made.hidden = false;
      $("invite-made-title").focus();
    } catch (failure) {
      invalid(null, error, failure.message);
    } finally {
      busy(form, false);
    }
  });

  showButton.addEventListener("click", () => reveal(linkField.hidden));

  $("invite-copy").addEventListener("click", async () => {
    status.textContent = "";
    try {
      await navigator.clipboard.writeText(link.value);
      status.textContent = "The invite link is copied. Paste it into a message to that person only.";
    } catch {
      // No clipboard access (an older browser, or permission refused): select it instead.
      reveal(true);
      link.focus();
      link.select();
      status.textContent = "Copying was not allowed here. The link is selected: press Ctrl+C (or ⌘+C) to copy it.";
    }
  });

  form.querySelector(".cancel").addEventListener("click", () => {
    forget();
    back();
  });

  return {
    open(target) {
      room = target;
      forget();
      clearInvalid(form, error);
      form.reset();
      $("invite-title").textContent = `Invite to ${room.name}`;
      show("invite-view");
    },
    forget,
  };
}
