// Saves the case form to the server while the member writes (sealed there like the case itself),
// so that an ended session, a closed tab or a lost connection takes nothing. Progressive
// enhancement: without this script each part of the form has a button that saves the same way.
// Files are never sent from here: they go with "Save as draft".

const form = document.querySelector("form[data-autosave]");

if (form && window.fetch && window.FormData) {
  const status = form.querySelector("[data-autosave-status]");
  const url = form.getAttribute("data-autosave");
  const QUIET_MS = 2000;
  let timer = null;
  let changed = false;
  let sending = null;
  // Once the session has ended, the buttons post the form as they do without this script: the
  // server then keeps what was written through a new log-in.
  let ended = false;

  const say = (text) => { if (status) status.textContent = text; };

  function fields() {
    const data = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string") data.append(name, value);
    }
    return data;
  }

  async function save() {
    clearTimeout(timer);
    timer = null;
    if (sending) { await sending; }
    if (!changed) return;
    changed = false;
    sending = (async () => {
      try {
        const response = await fetch(url, {
          method: "POST",
          body: fields(),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          redirect: "manual",
        });
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          changed = true;
          ended = true;
          say(form.getAttribute("data-autosave-ended"));
        } else if (response.ok) {
          const body = await response.json();
          const time = new Date(body.saved_at).toLocaleTimeString(document.documentElement.lang || undefined,
            { hour: "2-digit", minute: "2-digit" });
          say(form.getAttribute("data-autosave-saved").replace("{time}", time));
        } else {
          changed = true;
          say(form.getAttribute("data-autosave-failed"));
        }
      } catch (error) {
        changed = true;
        say(form.getAttribute("data-autosave-failed"));
      }
    })();
    await sending;
    sending = null;
  }

  const soon = () => {
    changed = true;
    clearTimeout(timer);
    timer = setTimeout(save, QUIET_MS);
  };
  form.addEventListener("input", soon);
  form.addEventListener("change", (event) => {
    if (event.target && event.target.type === "file") return;
    soon();
  });
  // Leaving the page (another tab, the phone's home screen) saves at once.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && changed) save();
  });
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button && button.name === "save_part" && !ended) {
      // Saved in place: the files chosen stay chosen.
      event.preventDefault();
      changed = true;
      save();
      return;
    }
    // The form itself is being sent: nothing to save on the side any more.
    clearTimeout(timer);
    changed = false;
  });
}
