// One accessible confirmation dialog (native <dialog>: focus is trapped inside, Escape
// cancels, focus returns to where it was) for what cannot be undone lightly: removing,
// banning, reporting. It asks for an optional reason and, for a ban, its scope.
const $ = (id) => document.getElementById(id);

// Resolves with {reason, scope} when confirmed, or null when cancelled.
export function confirmAction({ title, text, confirm, scope = false }) {
  const dialog = $("confirm-dialog");
  const reason = $("confirm-reason");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = confirm;
  $("confirm-scope-field").hidden = !scope;
  $("confirm-scope").value = "room";
  reason.value = "";
  dialog.returnValue = "";
  const opener = document.activeElement;
  const key = opener?.dataset?.key ?? "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        // The opener may have been redrawn meanwhile (the roster changed): find it again,
        // or start from the room's heading if what it acted on is gone.
        const again = opener?.isConnected ? opener : document.querySelector(`[data-key="${CSS.escape(key)}"]`);
        (again ?? document.getElementById("room-title")).focus();
        if (dialog.returnValue !== "confirm") resolve(null);
        else resolve({ reason: reason.value.trim(), scope: $("confirm-scope").value });
      },
      { once: true },
    );
    dialog.showModal();
    reason.focus();
  });
}
