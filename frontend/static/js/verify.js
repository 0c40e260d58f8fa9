// The file check on /verify, in the browser: the chosen file is hashed with Web Crypto and only its
// SHA-256 goes to the server (as /verify?sha256=...), which says which published files carry it.
// Without this script (or without Web Crypto) the form uploads the file and the server hashes it.

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function enhance(form) {
  if (!window.crypto || !window.crypto.subtle) return;
  const input = form.querySelector("input[type=file]");
  const status = form.querySelector("[data-verify-status]");
  form.addEventListener("submit", async (event) => {
    const file = input.files && input.files[0];
    if (!file) return;
    event.preventDefault();
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    if (status) {
      status.hidden = false;
      status.textContent = "…";
    }
    try {
      const digest = await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      window.location.assign("/verify?sha256=" + hex(digest) + "#file");
    } catch (error) {
      // Too large for memory, or no access: let the server hash it instead.
      form.submit();
    }
  });
}

document.querySelectorAll("form[data-verify-form]").forEach(enhance);
