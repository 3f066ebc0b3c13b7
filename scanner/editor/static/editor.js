// The template editor: the page image with the template drawn over it in SVG, in mm.
// Every change is one edit sent to the server (POST api/edit), which answers the new
// state; the page only draws that state. A drag moves the box on screen and sends the
// edit when the mouse is let go.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const ui = {
  state: null,        // the server's state: template, problems, pages, can_undo, unsaved
  page: null,         // the page number shown
  selected: null,     // {item, option} or {comment}
  merging: new Set(), // item indexes chosen with Shift+click, for a merge
  mode: "select",
  zoom: 1,
};

// --- talking to the server -------------------------------------------------------------
async function call(method, url, body) {
  const options = {method, headers: {}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

async function edit(op) {
  try {
    show(await call("POST", "api/edit", op));
    return true;
  } catch (error) {
    message(error.message, true);
    return false;
  }
}

async function save() {
  try {
    const result = await call("POST", "api/save", {});
    show(result.state);
    if (result.saved) {
      message(`Saved ${ui.state.file}` + (result.backup ? " (the previous file kept as .bak)" : ""));
    } else {
      message(`Not saved: ${result.problems.length} problem(s) to fix first, listed below.`, true);
    }
  } catch (error) {
    message(error.message, true);
  }
}

function message(text, isError = false) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
  box.classList.toggle("error", isError);
}

// --- the state, and what is wrong where ----------------------------------------------
const template = () => ui.state.template;
const items = () => template().items || [];
const comments = () => template().comments || [];

function show(state) {
  ui.state = state;
  if (ui.selected && !selectionExists()) ui.selected = null;
  ui.merging = new Set([...ui.merging].filter((i) => i < items().length));
  if (!state.pages.some((p) => p.number === ui.page)) ui.page = state.pages.length ? state.pages[0].number : null;
  document.body.dataset.unsaved = state.unsaved ? "1" : "";
  $("undo").disabled = !state.can_undo;
  $("file").textContent = state.file + (state.unsaved ? " (unsaved)" : "");
  drawPages();
  drawOverlay();
  drawSelection();
  drawProblems();
  drawScales();
  drawColours();
}

function selectionExists() {
  const s = ui.selected;
  if ("comment" in s) return s.comment < comments().length;
  const item = items()[s.item];
  return item && (s.option === null || s.option < (item.options || []).length);
}

// A problem's YAML path ("items[3].options[1].box_mm") names what it is about.
function problemTarget(path) {
  let m = path.match(/^items\[(\d+)\](?:\.options\[(\d+)\])?/);
  if (m) return {item: +m[1], option: m[2] === undefined ? null : +m[2]};
  m = path.match(/^comments\[(\d+)\]/);
  if (m) return {comment: +m[1]};
  m = path.match(/^scales(?:\.([A-Za-z0-9_]+)|\['(.*)'\])?/);
  if (m) return {scale: m[1] || m[2] || null};
  m = path.match(/^colours\[(\d+)\]/);
  if (m) return {colour: +m[1]};
  return {};
}

function problemsOf(test) {
  return ui.state.problems.filter((p) => test(problemTarget(p.path), p.path));
}

// --- drawing --------------------------------------------------------------------------
function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  if (text) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function drawPages() {
  const nav = $("pages");
  nav.replaceChildren(...ui.state.pages.map((p) => {
    const button = el("button", {"data-page": p.number, class: p.number === ui.page ? "current" : ""}, `Page ${p.number}`);
    button.addEventListener("click", () => { ui.page = p.number; show(ui.state); });
    return button;
  }));
}

function currentPage() {
  return ui.state.pages.find((p) => p.number === ui.page);
}

function drawOverlay() {
  if (!ui.state) return;
  const page = currentPage();
  const overlay = $("overlay");
  overlay.replaceChildren();
  if (!page) return;
  const img = $("page-img");
  if (img.getAttribute("src") !== page.image) img.setAttribute("src", page.image);
  const stage = $("stage");
  const width = Math.round(($("view").clientWidth - 20) * ui.zoom);
  stage.style.width = width + "px";
  stage.style.height = Math.round(width * page.height_mm / page.width_mm) + "px";
  overlay.setAttribute("viewBox", `0 0 ${page.width_mm} ${page.height_mm}`);
  overlay.classList.toggle("adding", ui.mode !== "select");
  const bad = new Set(ui.state.problems.map((p) => {
    const t = problemTarget(p.path);
    return "item" in t ? (t.option === null ? `i${t.item}` : `i${t.item}o${t.option}`) : "comment" in t ? `c${t.comment}` : "";
  }));
  items().forEach((item, i) => {
    if (item.page !== ui.page) return;
    (item.options || []).forEach((option, j) => {
      if (!Array.isArray(option.box_mm) || option.box_mm.length !== 4) return;
      const [x, y, w, h] = option.box_mm;
      const classes = ["box"];
      const sel = ui.selected;
      if (sel && sel.item === i) classes.push(sel.option === j ? "focus" : "in-item");
      if (ui.merging.has(i)) classes.push("merging");
      if (bad.has(`i${i}o${j}`) || bad.has(`i${i}`)) classes.push("bad");
      const rect = svg("rect", {x, y, width: w, height: h, class: classes.join(" "),
                                "data-item": i, "data-option": j, "data-id": `${item.id}:${option.code}`});
      rect.appendChild(svg("title", {}, `${item.id} code ${option.code}: ${item.text || ""}`));
      overlay.appendChild(rect);
      overlay.appendChild(svg("text", {x, y: y - 0.4, class: "label"}, `${item.id}:${option.code}`));
    });
  });
  comments().forEach((comment, k) => {
    if (comment.page !== ui.page || !Array.isArray(comment.box_mm)) return;
    const [x, y, w, h] = comment.box_mm;
    const sel = ui.selected;
    const classes = ["zone"];
    if (sel && sel.comment === k) classes.push("focus");
    if (bad.has(`c${k}`)) classes.push("bad");
    overlay.appendChild(svg("rect", {x, y, width: w, height: h, class: classes.join(" "), "data-comment": k,
                                     "data-id": comment.id}));
    overlay.appendChild(svg("text", {x: x + 1, y: y + 3.5, class: "label zone-label"}, comment.id));
  });
  const box = selectedBox();
  if (box) {
    const [x, y, w, h] = box;
    overlay.appendChild(svg("rect", {x: x + w - 0.6, y: y + h - 0.6, width: 1.2, height: 1.2, class: "handle",
                                     id: "handle"}));
  }
}

function selectedBox() {
  const s = ui.selected;
  if (!s) return null;
  if ("comment" in s) return comments()[s.comment].box_mm;
  if (s.option === null) return null;
  return items()[s.item].options[s.option].box_mm;
}

function target() {
  const s = ui.selected;
  if (!s) return null;
  return "comment" in s ? {comment: s.comment} : {item: s.item, option: s.option};
}

function field(label, input, errors) {
  const wrap = el("label", {class: "field"}, label + " ");
  wrap.appendChild(input);
  for (const p of errors) wrap.appendChild(el("div", {class: "error"}, p.problem));
  return wrap;
}

function textInput(value, name, onChange) {
  const input = el("input", {type: "text", name, value: value ?? ""});
  input.addEventListener("change", () => onChange(input.value));
  return input;
}

function drawSelection() {
  const panel = $("selection");
  const keep = panel.querySelector("h2");
  panel.replaceChildren(keep);
  const s = ui.selected;
  if (!s) {
    panel.appendChild(el("p", {class: "hint"}, "Click a box or zone. Arrows move it (Shift: 1 mm), Ctrl+arrows " +
                                               "resize it, drag the corner to resize; Shift+click items to merge them."));
    return;
  }
  if ("comment" in s) {
    const k = s.comment, comment = comments()[k];
    const at = (key) => problemsOf((t, path) => t.comment === k && path.startsWith(`comments[${k}].${key}`));
    panel.appendChild(field("Comment id", textInput(comment.id, "comment-id",
      (v) => edit({op: "set_comment", comment: k, id: v})), at("id")));
    panel.appendChild(field("Prompt", textInput(comment.prompt, "comment-prompt",
      (v) => edit({op: "set_comment", comment: k, prompt: v})), at("prompt")));
    for (const p of problemsOf((t, path) => t.comment === k && !/\.(id|prompt)$/.test(path))) {
      panel.appendChild(el("div", {class: "error"}, `${p.path}: ${p.problem}`));
    }
    return;
  }
  const i = s.item, item = items()[i];
  const at = (key) => problemsOf((t, path) => path === `items[${i}].${key}`);
  panel.appendChild(field("Item id", textInput(item.id, "item-id", (v) => edit({op: "set_item", item: i, id: v})),
                          at("id")));
  panel.appendChild(field("Text", textInput(item.text, "item-text", (v) => edit({op: "set_item", item: i, text: v})),
                          at("text")));
  const scale = el("select", {name: "item-scale"});
  for (const name of Object.keys(template().scales || {})) {
    scale.appendChild(el("option", {value: name, selected: name === item.scale}, name));
  }
  if (!(item.scale in (template().scales || {}))) scale.appendChild(el("option", {value: item.scale, selected: true}, item.scale));
  scale.addEventListener("change", () => edit({op: "set_item", item: i, scale: scale.value}));
  panel.appendChild(field("Scale", scale, at("scale")));
  const multiple = el("input", {type: "checkbox", name: "item-multiple", checked: !!item.multiple});
  multiple.addEventListener("change", () => edit({op: "set_item", item: i, multiple: multiple.checked}));
  panel.appendChild(field("Several answers", multiple, []));
  const table = el("table", {class: "options"});
  table.appendChild(el("tr")).append(el("th", {}, "box"), el("th", {}, "code"), el("th", {}, "label"), el("th", {}, "x, y, w, h (mm)"));
  const labels = Object.fromEntries(((template().scales || {})[item.scale]?.options || []).map((o) => [o.code, o.label]));
  (item.options || []).forEach((option, j) => {
    const code = el("input", {type: "number", name: `code-${j}`, value: option.code});
    code.addEventListener("change", () => edit({op: "set_code", item: i, option: j, code: parseInt(code.value, 10)}));
    const row = el("tr", {class: s.option === j ? "focus" : ""});
    row.append(el("td", {}, String(j + 1)), el("td"), el("td", {}, labels[option.code] ?? "?"),
               el("td", {}, (option.box_mm || []).map((v) => v.toFixed(1)).join(", ")));
    row.children[1].appendChild(code);
    row.addEventListener("click", (e) => { if (e.target === row || e.target.tagName === "TD") select({item: i, option: j}); });
    table.appendChild(row);
  });
  panel.appendChild(table);
  for (const p of problemsOf((t, path) => t.item === i && !/^items\[\d+\]\.(id|text|scale)$/.test(path))) {
    panel.appendChild(el("div", {class: "error"}, `${p.path.replace(/^items\[\d+\]\./, "")}: ${p.problem}`));
  }
}

function drawProblems() {
  const list = $("problems");
  const problems = ui.state.problems;
  $("problem-count").textContent = problems.length ? `(${problems.length})` : "(none)";
  list.replaceChildren(...problems.map((p) => {
    const li = el("li", {}, `${p.path}: ${p.problem}`);
    li.addEventListener("click", () => {
      const t = problemTarget(p.path);
      if ("item" in t && items()[t.item]) {
        ui.page = items()[t.item].page;
        select({item: t.item, option: t.option ?? 0});
      } else if ("comment" in t && comments()[t.comment]) {
        ui.page = comments()[t.comment].page;
        select({comment: t.comment});
      }
    });
    return li;
  }));
}

function drawScales() {
  const box = $("scales");
  box.replaceChildren();
  for (const [name, scale] of Object.entries(template().scales || {})) {
    const div = el("div", {class: "scale", "data-scale": name});
    const rename = textInput(name, "scale-name", (v) => edit({op: "set_scale", name, rename: v, options: scale.options}));
    div.appendChild(field("Scale", rename, problemsOf((t) => t.scale === name)));
    const options = (scale.options || []).map((o) => ({...o}));
    const send = () => edit({op: "set_scale", name, options});
    options.forEach((o, k) => {
      const row = el("div");
      const code = el("input", {type: "number", class: "code", value: o.code});
      code.addEventListener("change", () => { o.code = parseInt(code.value, 10); send(); });
      const label = el("input", {type: "text", class: "label-text", value: o.label});
      label.addEventListener("change", () => { o.label = label.value; send(); });
      const remove = el("button", {title: "Remove this option"}, "×");
      remove.addEventListener("click", () => { options.splice(k, 1); send(); });
      row.append(code, label, remove);
      div.appendChild(row);
    });
    const add = el("button", {}, "Add option");
    add.addEventListener("click", () => {
      options.push({code: Math.max(0, ...options.map((o) => o.code)) + 1, label: "New option"});
      send();
    });
    const remove = el("button", {}, "Delete scale");
    remove.addEventListener("click", () => edit({op: "delete_scale", name}));
    div.append(add, remove);
    box.appendChild(div);
  }
}

function drawColours() {
  const box = $("colours");
  const colours = (template().colours || []).map((c) => ({...c}));
  const send = () => edit({op: "set_colours", colours});
  box.replaceChildren(...colours.map((c, k) => {
    const div = el("div", {class: "colour"});
    const name = textInput(c.name, "colour-name", (v) => { c.name = v; send(); });
    const rgb = el("input", {type: "color", value: "#" + (c.rgb || [255, 255, 255]).map((v) => v.toString(16).padStart(2, "0")).join("")});
    rgb.addEventListener("change", () => { c.rgb = [1, 3, 5].map((at) => parseInt(rgb.value.slice(at, at + 2), 16)); send(); });
    const programme = textInput(c.programme, "colour-programme", (v) => { c.programme = v; send(); });
    const remove = el("button", {}, "Remove");
    remove.addEventListener("click", () => { colours.splice(k, 1); send(); });
    const errors = problemsOf((t) => t.colour === k);
    div.append(field("Colour", name, []), rgb, field("Programme", programme, errors), remove);
    return div;
  }));
  $("add-colour").onclick = () => {
    colours.push({name: `colour${colours.length + 1}`, rgb: [255, 255, 255], programme: "Programme"});
    send();
  };
}

// --- choosing and changing -----------------------------------------------------------------
function select(selection) {
  ui.selected = selection;
  show(ui.state);
}

function setMode(mode) {
  ui.mode = mode;
  document.querySelectorAll("button.mode").forEach((b) => b.classList.toggle("current", b.dataset.mode === mode));
  drawOverlay();
}

function toMm(event) {
  const overlay = $("overlay");
  const point = overlay.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const p = point.matrixTransform(overlay.getScreenCTM().inverse());
  return [Math.round(p.x * 100) / 100, Math.round(p.y * 100) / 100];
}

function startDrag(event, rect, resize) {
  const start = toMm(event);
  const box = selectedBox().slice();
  let moved = false;
  const onMove = (e) => {
    const [x, y] = toMm(e);
    const dx = x - start[0], dy = y - start[1];
    moved = moved || Math.abs(dx) > 0.05 || Math.abs(dy) > 0.05;
    if (resize) {
      rect.setAttribute("width", Math.max(0.5, box[2] + dx));
      rect.setAttribute("height", Math.max(0.5, box[3] + dy));
    } else {
      rect.setAttribute("x", box[0] + dx);
      rect.setAttribute("y", box[1] + dy);
    }
  };
  const onUp = (e) => {
    window.removeEventListener("mousemove", onMove);
    window.removeEventListener("mouseup", onUp);
    if (!moved) return;
    const box_mm = ["x", "y", "width", "height"].map((a) => Math.round(parseFloat(rect.getAttribute(a)) * 100) / 100);
    edit({op: "move", ...target(), box_mm, snap: !resize && $("snap").checked && !e.altKey});
  };
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
}

function onMouseDown(event) {
  if (event.button !== 0) return;
  const node = event.target;
  if (ui.mode !== "select") {
    const [x, y] = toMm(event);
    const op = ui.mode === "box"
      ? {op: "add_box", page: ui.page, at_mm: [x, y], item: ui.selected && "item" in ui.selected ? ui.selected.item : null}
      : {op: "add_zone", page: ui.page, at_mm: [x, y]};
    edit(op).then((ok) => {
      if (!ok) return;
      if (op.op === "add_zone") ui.selected = {comment: comments().length - 1};
      else if (op.item === null) ui.selected = {item: items().length - 1, option: 0};
      else ui.selected = {item: op.item, option: items()[op.item].options.length - 1};
      setMode("select");
      show(ui.state);
    });
    event.preventDefault();
    return;
  }
  if (node.id === "handle") {
    const rect = $("overlay").querySelector(".focus");
    startDrag(event, rect, true);
    event.preventDefault();
    return;
  }
  if (node.dataset.item !== undefined || node.dataset.comment !== undefined) {
    const selection = node.dataset.comment !== undefined ? {comment: +node.dataset.comment}
                                                         : {item: +node.dataset.item, option: +node.dataset.option};
    if (event.shiftKey && "item" in selection) {
      if (ui.selected && "item" in ui.selected) ui.merging.add(ui.selected.item);
      ui.merging.has(selection.item) ? ui.merging.delete(selection.item) : ui.merging.add(selection.item);
      ui.selected = selection;
      show(ui.state);
      return;
    }
    ui.merging.clear();
    ui.selected = selection;
    show(ui.state);
    const rect = $("overlay").querySelector(".focus");
    startDrag(event, rect, false);
    event.preventDefault();
    return;
  }
  ui.selected = null;
  ui.merging.clear();
  show(ui.state);
}

function nudge(dx, dy, resize) {
  if (!selectedBox()) return;
  edit({op: "move", ...target(), by_mm: resize ? [0, 0, dx, dy] : [dx, dy, 0, 0]});
}

function remove(wholeItem) {
  const s = ui.selected;
  if (!s) return;
  const op = "comment" in s ? {op: "delete", comment: s.comment}
                            : wholeItem ? {op: "delete", item: s.item} : {op: "delete", item: s.item, option: s.option};
  ui.selected = null;
  edit(op);
}

function merge() {
  const chosen = [...ui.merging];
  if (chosen.length < 2) return message("Shift+click a box of each item to merge first.", true);
  ui.merging.clear();
  ui.selected = {item: Math.min(...chosen), option: 0};
  edit({op: "merge", items: chosen});
}

function split() {
  const s = ui.selected;
  if (!s || !("item" in s) || !s.option) return message("Select the first box of the second part first.", true);
  edit({op: "split", item: s.item, at: s.option});
}

function onKey(event) {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); return; }
  if (typing) return;
  if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); edit({op: "undo"}); return; }
  const step = event.shiftKey ? 1 : 0.1;
  const arrows = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]};
  if (event.key in arrows && ui.selected) {
    event.preventDefault();
    nudge(...arrows[event.key], event.ctrlKey);
    return;
  }
  const keys = {
    Escape: () => { ui.merging.clear(); setMode("select"); ui.selected = null; show(ui.state); },
    Delete: () => remove(event.shiftKey), Backspace: () => remove(event.shiftKey),
    u: () => edit({op: "undo"}), f: () => ui.selected && edit({op: "snap", ...target()}),
    b: () => setMode("box"), z: () => setMode("zone"), m: merge, x: split,
    "+": () => zoom(1.25), "-": () => zoom(0.8),
  };
  if (keys[event.key] && !event.ctrlKey && !event.altKey) {
    event.preventDefault();
    keys[event.key]();
  }
}

function zoom(factor) {
  ui.zoom = Math.min(4, Math.max(0.5, ui.zoom * factor));
  drawOverlay();
}

async function start() {
  $("overlay").addEventListener("mousedown", onMouseDown);
  document.addEventListener("keydown", onKey);
  document.querySelectorAll("button.mode").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
  $("fit").addEventListener("click", () => ui.selected && edit({op: "snap", ...target()}));
  $("delete").addEventListener("click", () => remove(false));
  $("merge").addEventListener("click", merge);
  $("split").addEventListener("click", split);
  $("undo").addEventListener("click", () => edit({op: "undo"}));
  $("save").addEventListener("click", save);
  $("zoom-in").addEventListener("click", () => zoom(1.25));
  $("zoom-out").addEventListener("click", () => zoom(0.8));
  $("add-scale").addEventListener("click", () => {
    const names = Object.keys(template().scales || {});
    let n = names.length + 1;
    while (names.includes(`scale${n}`)) n += 1;
    edit({op: "set_scale", name: `scale${n}`, options: [{code: 1, label: "Yes"}, {code: 2, label: "No"}]});
  });
  window.addEventListener("resize", drawOverlay);
  window.addEventListener("beforeunload", (e) => { if (ui.state && ui.state.unsaved) e.preventDefault(); });
  setMode("select");
  try {
    show(await call("GET", "api/state"));
    document.body.dataset.ready = "1";
  } catch (error) {
    message(error.message, true);
  }
}

start();
