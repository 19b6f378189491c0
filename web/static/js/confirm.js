// A confirmation step before a destructive action, in the page's own <dialog id="confirm-dialog">.

/**
 * Ask the user to confirm; resolves true when the OK button was pressed.
 * `danger` styles the OK button red (deleting, restoring over the current data).
 */
export function confirmAction({ title, message, ok, danger = true }) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-message").textContent = message;
  const button = document.getElementById("confirm-ok");
  button.textContent = ok;
  button.className = `button ${danger ? "button-danger" : "button-primary"}`;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    button.focus();
  });
}
