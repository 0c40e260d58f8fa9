// The redaction tool's drawing: boxes drawn on the page preview with the mouse (or a finger), or with
// the keyboard (focus the page; arrow keys move the box, Shift + arrow keys resize it, Enter adds
// it). Progressive enhancement only: every box lands in the same numeric fields (page, x, y,
// width, height in percent of the page) that people without JavaScript fill in by hand, and the
// form is sent exactly as without this script.

const FIELDS = ["x", "y", "width", "height"];
const SVG = "http://www.w3.org/2000/svg";
const MIN_SIZE = 0.5;

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
const round = (value) => Math.round(value * 100) / 100;

function enhance(form) {
  const canvas = form.querySelector("[data-redact-canvas]");
  const image = form.querySelector("[data-redact-image]");
  const svg = form.querySelector("[data-redact-svg]");
  const rows = form.querySelector("[data-redact-rows]");
  const figure = form.querySelector("[data-redact-page]");
  const help = form.querySelector("[data-redact-help]");
  if (!canvas || !image || !svg || !rows || !figure) return;
  const page = String(figure.dataset.redactPage || "1");

  if (help) {
    help.hidden = false;
    canvas.setAttribute("aria-label", help.textContent.trim());
  }
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "application");

  const boxRows = () => Array.from(rows.querySelectorAll("tr[data-box-row]"));
  const input = (row, name) => row.querySelector(`input[name$="-${name}"]`);

  function values(row) {
    if (input(row, "remove")?.checked) return null;  // ticked to be left out of the next copy
    const numbers = FIELDS.map((name) => parseFloat(input(row, name).value));
    return numbers.every((n) => Number.isFinite(n)) ? numbers : null;
  }

  function rect(x, y, width, height, className) {
    const element = document.createElementNS(SVG, "rect");
    element.setAttribute("x", x);
    element.setAttribute("y", y);
    element.setAttribute("width", width);
    element.setAttribute("height", height);
    if (className) element.setAttribute("class", className);
    return element;
  }

  let drawing = null;
  let cursor = null;

  function redraw() {
    svg.replaceChildren();
    for (const row of boxRows()) {
      const box = values(row);
      if (box && input(row, "page").value === page) svg.append(rect(...box));
    }
    if (drawing) svg.append(rect(...drawing, "drawing"));
    if (cursor) svg.append(rect(cursor.x, cursor.y, cursor.width, cursor.height, "cursor"));
  }

  function blankRow() {
    const free = boxRows().find((row) => FIELDS.every((name) => input(row, name).value.trim() === ""));
    if (free) return free;
    // Every row is used: add one more, numbered after the last.
    const all = boxRows();
    const last = all[all.length - 1];
    const copy = last.cloneNode(true);
    const index = all.length;
    copy.classList.remove("row-error");
    copy.querySelector("th").textContent = String(index + 1);
    for (const field of copy.querySelectorAll("input")) {
      field.name = field.name.replace(/^box-\d+-/, `box-${index}-`);
      if (field.id) field.id = field.id.replace(/^box-\d+-/, `box-${index}-`);
      const label = field.getAttribute("aria-label");
      if (label) field.setAttribute("aria-label", label.replace(/\d+/, String(index + 1)));
      if (field.type === "checkbox") field.checked = false;
      else field.value = "";
    }
    rows.append(copy);
    return copy;
  }

  function addBox(x, y, width, height) {
    const row = blankRow();
    input(row, "page").value = page;
    [x, y, width, height].forEach((value, i) => { input(row, FIELDS[i]).value = String(round(value)); });
    redraw();
  }

  function point(event) {
    const bounds = image.getBoundingClientRect();
    return [
      clamp(((event.clientX - bounds.left) / bounds.width) * 100, 0, 100),
      clamp(((event.clientY - bounds.top) / bounds.height) * 100, 0, 100),
    ];
  }

  let start = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    start = point(event);
    drawing = [start[0], start[1], 0, 0];
    canvas.setPointerCapture(event.pointerId);
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!start) return;
    const [x, y] = point(event);
    drawing = [Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1])];
    redraw();
  });
  const finish = () => {
    if (!start) return;
    const box = drawing;
    start = null;
    drawing = null;
    if (box && box[2] >= MIN_SIZE && box[3] >= MIN_SIZE) addBox(...box);
    else redraw();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", () => { start = null; drawing = null; redraw(); });

  canvas.addEventListener("focus", () => {
    cursor = cursor || { x: 10, y: 10, width: 30, height: 8 };
    redraw();
  });
  canvas.addEventListener("blur", () => { cursor = null; redraw(); });
  canvas.addEventListener("keydown", (event) => {
    if (!cursor) return;
    const step = event.altKey || event.ctrlKey ? 5 : 1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key in moves) {
      event.preventDefault();
      const [dx, dy] = moves[event.key];
      if (event.shiftKey) {
        cursor.width = clamp(cursor.width + dx, 1, 100 - cursor.x);
        cursor.height = clamp(cursor.height + dy, 1, 100 - cursor.y);
      } else {
        cursor.x = clamp(cursor.x + dx, 0, 100 - cursor.width);
        cursor.y = clamp(cursor.y + dy, 0, 100 - cursor.height);
      }
      redraw();
    } else if (event.key === "Enter") {
      event.preventDefault();
      addBox(cursor.x, cursor.y, cursor.width, cursor.height);
    }
  });

  rows.addEventListener("input", redraw);
  rows.addEventListener("change", redraw);
  redraw();
}

document.querySelectorAll("form[data-redact-form]").forEach(enhance);
