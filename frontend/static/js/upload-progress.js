// Upload progress for the forms that send files (new case, add files). Progressive enhancement only:
// without this script the same forms post normally and the server answers the same way.
// The form is sent as the browser would send it (FormData keeps the fields in page order, so the
// CSRF token stays the first part and the files the last).

// Files of a type the platform refuses are refused here too, before a long upload: the input's
// `accept` lists the extensions and types accepted (the server still decides by the content).
function guardTypes(input) {
  const accepted = (input.getAttribute("accept") || "").split(",").map((item) => item.trim().toLowerCase());
  const extensions = accepted.filter((item) => item.startsWith("."));
  const types = accepted.filter((item) => item.includes("/"));
  const message = input.getAttribute("data-refused") || "";
  input.addEventListener("change", () => {
    const refused = Array.from(input.files || []).filter((file) => {
      const name = file.name.toLowerCase();
      const dot = name.lastIndexOf(".");
      const extension = dot >= 0 ? name.slice(dot) : "";
      return !extensions.includes(extension) && !types.includes((file.type || "").toLowerCase());
    });
    input.setCustomValidity(refused.length ? message.replace("{names}", refused.map((file) => file.name).join(", ")) : "");
    if (refused.length) input.reportValidity();
  });
}

function enhance(form) {
  form.querySelectorAll("input[type=file][accept]").forEach(guardTypes);
  const box = form.querySelector("[data-upload-progress]");
  if (!box || !window.XMLHttpRequest || !window.FormData) return;
  const bar = box.querySelector("progress");
  const label = box.querySelector("[data-upload-percent]");

  form.addEventListener("submit", (event) => {
    // A button with an address of its own (saving what was written) is not the upload.
    if (event.submitter && event.submitter.hasAttribute("formaction")) return;
    if (!form.checkValidity()) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((button) => { button.disabled = true; });
    box.hidden = false;

    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    request.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) return;
      const percent = Math.floor((progress.loaded / progress.total) * 100);
      bar.value = percent;
      label.textContent = percent + " %";
    });
    request.addEventListener("load", () => {
      const landed = new URL(request.responseURL || form.action, window.location.href);
      const posted = new URL(form.action, window.location.href);
      if (request.status < 400 && landed.pathname !== posted.pathname) {
        // The server answered with a redirect (303) to the page to show next.
        window.location.assign(landed.href);
        return;
      }
      // A page with the form and its messages (or an error page): show it as a normal post would.
      const page = new DOMParser().parseFromString(request.responseText, "text/html");
      document.replaceChild(document.adoptNode(page.documentElement), document.documentElement);
      window.scrollTo(0, 0);
    });
    request.addEventListener("error", () => {
      // The network failed mid-way: fall back to the plain form post.
      box.hidden = true;
      buttons.forEach((button) => { button.disabled = false; });
      form.submit();
    });
    request.send(new FormData(form));
  });
}

document.querySelectorAll("form[data-upload-form][enctype='multipart/form-data']").forEach(enhance);
