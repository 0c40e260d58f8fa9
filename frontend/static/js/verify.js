// The file check on /verify, in the browser: the chosen file is hashed with Web Crypto and only its
// SHA-256 goes to the server (as /verify?sha256=...), which says which published files carry it.
// Without this script (or without Web Crypto) the form uploads the file and the server hashes it.
//
// A link can carry any hash, so the page never says a file was checked, except right after this
// browser hashed one: the hash is kept in this tab's sessionStorage (which no link can set) and the
// result is shown only when the page's hash is that one.

const KEY = "integrity-hashed-file";

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function enhance(form) {
  if (!window.crypto || !window.crypto.subtle) return;
  const input = form.querySelector("input[type=file]");
  const status = form.querySelector("[data-verify-status]");
  const expected = form.querySelector("input[name=expected]");
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
      const digest = hex(await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
      try {
        window.sessionStorage.setItem(KEY, digest);
      } catch (error) {
        // No storage: the server's page still lists what carries the hash, marked unchecked.
      }
      const wanted = expected ? "&expected=" + encodeURIComponent(expected.value) : "";
      window.location.assign("/verify?sha256=" + digest + wanted + "#file");
    } catch (error) {
      // Too large for memory, or no access: let the server hash it instead.
      form.submit();
    }
  });
}

function showResult() {
  const result = document.querySelector("[data-hashed-here]");
  if (!result) return;
  let hashed = null;
  try {
    hashed = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
  } catch (error) {
    return;
  }
  if (hashed !== result.getAttribute("data-hashed-here")) return;
  result.hidden = false;
  document.querySelectorAll("[data-not-checked]").forEach((note) => { note.hidden = true; });
}

showResult();
document.querySelectorAll("form[data-verify-form]").forEach(enhance);
