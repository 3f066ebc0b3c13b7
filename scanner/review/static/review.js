"use strict";
// The review page: one item at a time, keyboard first, no build step.
//
// Every decision is sent to the server at once. Each names the decision the reviewer
// was shown (`seen`), so when two reviewers race the first decision stands and the
// second is told (HTTP 409). Keys are handled one after another, in the order pressed,
// each on the item that the previous key left on screen. The next few items and their
// crops are loaded ahead, so that the next item shows as soon as a decision is saved.

const NAME_KEY = "scanner-review-name";
const PREFETCH = 3;
const IMAGE_CACHE = 40;
const ACTION_KEYS = new Set(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", "m", "Enter", "Backspace",
  "ArrowLeft", "ArrowRight", "u"]);

const state = {
  reviewer: localStorage.getItem(NAME_KEY) || "",
  info: null,
  mode: "review", // or "check": the quality check, blind
  list: [], // queue entries being worked through
  pos: 0,
  current: null, // the detail on screen
  details: new Map(), // mode + item key -> promise of the item's detail
  images: new Map(), // crop address -> Image, loaded ahead
  mine: [], // decisions made here, newest last, for undo: {id, entry}
  madeHere: new Set(), // their ids
  decidedKeys: new Set(), // items of the list decided here
  selection: new Set(), // codes chosen so far on a several-answer item
  chain: Promise.resolve(),
};

const $ = (id) => document.getElementById(id);
const keyOf = (entry) => `${entry.sheet_id}/${entry.item}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "style") Object.assign(node.style, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// --- talking to the server -------------------------------------------------------------
async function api(path, options = {}) {
  const response = await fetch(path, options);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

function post(path, body) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
}

function filters() {
  const params = new URLSearchParams();
  for (const name of ["reason", "question", "programme"]) {
    const value = $(`f-${name}`).value;
    if (value) params.set(name, value);
  }
  return params;
}

function detail(entry) {
  const key = `${state.mode}:${keyOf(entry)}`;
  let promise = state.details.get(key);
  if (!promise) {
    const params = new URLSearchParams({sheet: entry.sheet_id, item: entry.item});
    if (state.mode === "check") params.set("blind", "1");
    promise = api(`api/item?${params}`).then((d) => {
      preload(d.crop_url);
      return d;
    });
    promise.catch(() => state.details.delete(key));
    state.details.set(key, promise);
  }
  return promise;
}

function preload(url) {
  if (!url || state.images.has(url)) return;
  const image = new Image();
  image.alt = "the item as scanned";
  image.src = url;
  image.decode().catch(() => {});
  state.images.set(url, image);
  while (state.images.size > IMAGE_CACHE) state.images.delete(state.images.keys().next().value);
}

// --- messages --------------------------------------------------------------------------
function tell(text, isError = false) {
  const box = $("message");
  box.textContent = text;
  box.classList.toggle("error", isError);
  box.hidden = false;
}

function quiet() {
  $("message").hidden = true;
}

// --- showing an item ---------------------------------------------------------------------
function progress() {
  const n = state.list.length;
  const at = Math.min(state.pos + 1, n);
  const what = state.mode === "check" ? "Quality check: " : "";
  $("progress").textContent = n ? `${what}${at} of ${n} · ${state.decidedKeys.size} decided here` : `${what}empty`;
}

async function show(forward = false) {
  for (;;) {
    if (state.pos >= state.list.length) return finished();
    const entry = state.list[state.pos];
    let d;
    try {
      d = await detail(entry);
    } catch (err) {
      tell(`${keyOf(entry)}: ${err.message}`, true);
      if (!forward) return;
      state.pos += 1;
      continue;
    }
    const other = d.decision && !d.decision.stale && !state.madeHere.has(d.decision.id);
    if (forward && state.mode === "review" && other) {
      tell(`Skipped ${keyOf(entry)}: ${d.decision.reviewer} decided it meanwhile.`);
      state.pos += 1;
      continue;
    }
    await render(d);
    // Only then load ahead: the item on screen comes first.
    for (let k = 1; k <= PREFETCH; k++) {
      const next = state.list[state.pos + k];
      if (next) detail(next).catch(() => {});
    }
    return;
  }
}

function label(d, value, outcome) {
  if (outcome === "invalid") return "invalid (unusable marks)";
  if (value === "" || value === null || value === undefined) {
    return {comment: "nothing written", programme: "unknown"}[d.kind] || "blank";
  }
  if (d.kind === "item") {
    return value.split(";").map((code) => {
      const option = d.options.find((o) => String(o.code) === code);
      return option ? `${code} (${option.label})` : code;
    }).join(", ");
  }
  return d.kind === "comment" ? `“${value}”` : value;
}

function chosenCodes(d) {
  if (state.selection.size) return new Set([...state.selection].map(String));
  if (!d.decision || d.decision.outcome === "invalid") return new Set();
  return new Set(String(d.decision.value).split(";").filter(Boolean));
}

async function render(d) {
  state.current = d;
  const main = $("item");
  $("done").hidden = true;
  main.hidden = false;
  const blind = state.mode === "check";
  const chosen = chosenCodes(d);
  const where = [`Sheet ${d.sheet_id}`, `${d.source} p. ${d.first_page}`];
  if (d.form_page) where.push(`form page ${d.form_page}`);
  where.push(d.item);

  const parts = [el("p", {class: "where"}, where.join(" · "))];
  if (d.question) parts.push(el("p", {class: "stem"}, `Q${d.question.number}. ${d.question.stem}`));
  parts.push(el("h2", {class: "text"}, d.text));
  if (!blind) {
    const guess = d.status === "multiple" && !d.guess ? "none: several boxes marked" : label(d, d.guess);
    parts.push(el("p", {class: "why"},
      el("span", {class: "reason"}, d.reason_text || d.status), " · the scan's guess: ",
      el("strong", {id: "guess"}, guess), ` · confidence ${Number(d.confidence).toFixed(2)}`));
  }
  if (d.decision) {
    const text = `Decided: ${label(d, d.decision.value, d.decision.outcome)} by ${d.decision.reviewer}` +
      ` at ${d.decision.decided_at.replace("T", " ").slice(0, 19)}`;
    parts.push(el("p", {class: d.decision.stale ? "decided stale" : "decided"},
      d.decision.stale ? `${text}, but the page was scanned again since: look again.` : text));
  }
  const image = cropImage(d, chosen);
  parts.push(image.node);
  if (d.kind === "item") parts.push(itemOptions(d, chosen, blind));
  else if (d.kind === "programme") parts.push(programmeOptions(d, blind));
  else parts.push(commentBox(d));
  parts.push(actions(d, blind));

  main.dataset.key = keyOf(d);
  main.dataset.kind = d.kind;
  main.replaceChildren(...parts);
  progress();
  // Keys go to the page (or the text box), never to a button or select last clicked.
  const text = $("text");
  if (text) text.focus();
  else if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  if (image.img) await image.img.decode().catch(() => {});
}

function cropImage(d, chosen) {
  const box = el("div", {class: d.kind === "programme" ? "crop thumb" : "crop", id: "crop"});
  if (!d.crop_url) {
    box.append(el("div", {class: "nocrop"}, "No image: the page holding this item is not in the scans."));
    return {node: box, img: null};
  }
  let img = state.images.get(d.crop_url);
  if (!img || img.parentNode) {
    preload(d.crop_url);
    img = state.images.get(d.crop_url);
  }
  img.onerror = () => box.replaceChildren(el("div", {class: "nocrop"}, "The image of this item cannot be drawn " +
    "(the scanned file moved or changed?)."));
  box.append(img);
  if (d.crop_px) {
    const [w, h] = d.crop_px;
    for (const b of d.boxes) {
      box.append(el("div", {
        class: chosen.has(String(b.code)) ? "box chosen" : "box", "data-code": b.code, title: `code ${b.code}`,
        style: {left: `${100 * b.x / w}%`, top: `${100 * b.y / h}%`, width: `${100 * b.w / w}%`,
          height: `${100 * b.h / h}%`},
        onclick: () => queueAction(() => choose(b.code)),
      }));
    }
  }
  return {node: box, img};
}

function itemOptions(d, chosen, blind) {
  return el("div", {class: "options", role: "group", "aria-label": "Options"}, d.options.map((o) => {
    const classes = [chosen.has(String(o.code)) ? "chosen" : "", !blind && String(o.code) === d.guess ? "guess" : ""];
    return el("button", {type: "button", class: classes.join(" ").trim() || null, "data-code": o.code,
      onclick: () => queueAction(() => choose(o.code))},
    el("kbd", {}, String(o.code)), o.label,
    blind || o.score === null || o.score === undefined ? null : el("span", {class: "score"}, o.score.toFixed(2)));
  }));
}

function programmeOptions(d, blind) {
  const paper = d.paper_rgb ? `rgb(${d.paper_rgb.map(Math.round).join(",")})` : null;
  const chosen = d.decision ? d.decision.value : null;
  return el("div", {},
    el("div", {class: "paper"},
      paper ? el("span", {class: "swatch", style: {background: paper}, title: "the paper as scanned"}) : null,
      el("span", {}, paper ? `The paper as scanned: ${paper}` : "The paper colour was not measured (greyscale scan?)")),
    el("div", {class: "options", role: "group", "aria-label": "Programmes"}, d.options.map((o) => el("button", {
      type: "button", "data-code": o.code,
      class: [o.label === chosen ? "chosen" : "", !blind && o.label === d.guess ? "guess" : ""].join(" ").trim() || null,
      onclick: () => queueAction(() => decide(o.label))},
    el("kbd", {}, String(o.code)), el("span", {class: "swatch", style: {background: `rgb(${o.rgb.join(",")})`}}),
    `${o.colour}: ${o.label}`))));
}

function commentBox(d) {
  const start = d.decision ? d.decision.value : (d.guess || "");
  return el("div", {},
    el("label", {for: "text", class: "hint"},
      "The text as written (Enter saves, Shift+Enter starts a new line, Esc leaves the box):"),
    el("textarea", {id: "text", spellcheck: "true"}, start));
}

function actions(d, blind) {
  const buttons = [
    el("button", {type: "button", id: "blank", onclick: () => queueAction(() => decide(""))},
      el("kbd", {}, "0"), ` ${label(d, "")}`),
  ];
  if (d.kind === "item") {
    buttons.push(el("button", {type: "button", id: "invalid", onclick: () => queueAction(() => decide("", "invalid"))},
      el("kbd", {}, "m"), " invalid"));
  }
  if (d.kind === "comment") {
    buttons.push(el("button", {type: "button", id: "save", onclick: () => queueAction(saveText)},
      el("kbd", {}, "Enter"), " save the text"));
  } else if (!blind) {
    buttons.push(el("button", {type: "button", id: "accept", onclick: () => queueAction(accept)},
      el("kbd", {}, "Enter"), " accept the guess"));
  }
  buttons.push(
    el("button", {type: "button", id: "back", onclick: () => queueAction(back)}, el("kbd", {}, "←"), " back"),
    el("button", {type: "button", id: "forward", onclick: () => queueAction(forward)}, el("kbd", {}, "→"), " skip"),
    el("button", {type: "button", id: "undo", onclick: () => queueAction(undo)}, el("kbd", {}, "u"), " undo"));
  return el("div", {class: "actions"}, buttons);
}

// --- actions -----------------------------------------------------------------------------
async function decide(value, outcome = null) {
  const d = state.current;
  if (!d) return;
  const entry = state.list[state.pos];
  const body = {sheet_id: d.sheet_id, item: d.item, value, reviewer: state.reviewer,
    seen: d.decision ? d.decision.id : null};
  if (state.mode === "check") body.outcome = "check";
  else if (outcome) body.outcome = outcome;
  try {
    const decision = await post("api/decision", body);
    d.decision = decision;
    state.mine.push({id: decision.id, entry});
    state.madeHere.add(decision.id);
    state.decidedKeys.add(keyOf(d));
    state.selection.clear();
    quiet();
    state.pos += 1;
    await show(true);
  } catch (err) {
    if (err.status === 409) {
      d.decision = err.data.current;
      tell(`${err.message}. Decide again to change it anyway.`);
      await render(d);
    } else {
      tell(err.message, true);
    }
  }
}

async function choose(code) {
  const d = state.current;
  if (!d || d.kind !== "item") return;
  if (!d.multiple) return decide(String(code));
  // Several answers allowed: digits toggle codes, Enter saves them.
  if (state.selection.has(code)) state.selection.delete(code);
  else state.selection.add(code);
  await render(d);
}

async function accept() {
  const d = state.current;
  if (!d || state.mode === "check") return;
  if (d.kind === "item" && d.multiple && state.selection.size) {
    return decide([...state.selection].sort((a, b) => a - b).join(";"));
  }
  if (d.kind === "comment") return saveText();
  if (d.status === "multiple" && !d.guess) return decide("", "invalid");
  return decide(d.guess || "");
}

async function saveText() {
  const text = $("text");
  if (text) return decide(text.value);
}

async function back() {
  if (state.pos === 0) return tell("This is the first item.");
  state.selection.clear();
  state.pos -= 1;
  quiet();
  await show(false);
}

async function forward() {
  if (state.pos >= state.list.length) return;
  state.selection.clear();
  state.pos += 1;
  await show(false);
}

async function undo() {
  const last = state.mine.pop();
  if (!last) return tell("Nothing to undo.");
  try {
    const result = await post("api/undo", {id: last.id, reviewer: state.reviewer});
    const d = await detail(last.entry);
    d.decision = result.decision;
    state.madeHere.delete(last.id);
    if (!result.decision || !state.madeHere.has(result.decision.id)) state.decidedKeys.delete(keyOf(last.entry));
    let at = state.list.indexOf(last.entry);
    if (at < 0) {
      state.list.splice(state.pos, 0, last.entry);
      at = state.pos;
    }
    state.pos = at;
    state.selection.clear();
    tell(`Undone: ${keyOf(last.entry)} is back in the queue.`);
    await show(false);
  } catch (err) {
    tell(err.message, err.status !== 409);
  }
}

function actOnKey(key) {
  const d = state.current;
  if (key === "Backspace" || key === "ArrowLeft") return back();
  if (key === "ArrowRight") return forward();
  if (key === "u") return undo();
  if (!d || state.pos >= state.list.length) return;
  if (key === "Enter") return accept();
  if (key === "m") return d.kind === "item" ? decide("", "invalid") : undefined;
  if (key === " ") return decide("");
  const digit = Number(key);
  if (d.kind === "item") {
    if (d.options.some((o) => o.code === digit)) return choose(digit);
    if (digit === 0) return decide("");
  } else if (d.kind === "programme") {
    if (digit === 0) return decide("");
    const option = d.options.find((o) => o.code === digit);
    if (option) return decide(option.label);
  } else if (digit === 0) {
    return decide("");
  }
}

// Actions run one at a time, in order; `started` is when the key went down, for the
// browser's performance timeline ("review:key-to-item", read by bench/review_latency.py).
function queueAction(action, started = performance.now()) {
  state.chain = state.chain.then(async () => {
    const before = $("item").dataset.key;
    await action();
    if ($("item").dataset.key !== before) performance.measure("review:key-to-item", {start: started});
  }).catch((err) => tell(err.message, true));
  return state.chain;
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) return;
  const target = ev.target;
  if (target.matches("textarea, input, select")) {
    if (target.id === "text" && ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      queueAction(saveText, ev.timeStamp);
    } else if (ev.key === "Escape") {
      target.blur();
    }
    return;
  }
  if (!ACTION_KEYS.has(ev.key)) return;
  ev.preventDefault();
  queueAction(() => actOnKey(ev.key), ev.timeStamp);
});

// --- the queue, the check, the end ---------------------------------------------------------
async function loadQueue() {
  quiet();
  state.mode = "review";
  setModeButtons();
  $("item").replaceChildren(el("p", {class: "loading"}, "Loading the queue…"));
  state.list = await api(`api/queue?${filters()}`);
  state.details.clear(); // others may have decided since
  state.pos = 0;
  state.decidedKeys.clear();
  state.selection.clear();
  await show(true);
}

async function startCheck(n) {
  quiet();
  state.mode = "check";
  setModeButtons();
  const params = filters();
  params.set("n", String(n));
  state.list = await api(`api/check/sample?${params}`);
  state.details.clear();
  state.pos = 0;
  state.decidedKeys.clear();
  state.selection.clear();
  if (!state.list.length) tell("No unchecked ok items match these filters.");
  await show(false);
}

function setModeButtons() {
  $("mode-review").setAttribute("aria-pressed", String(state.mode === "review"));
  $("mode-check").setAttribute("aria-pressed", String(state.mode === "check"));
}

function percent(x) {
  return `${(100 * x).toFixed(1)}%`;
}

async function finished() {
  state.current = null;
  $("item").hidden = true;
  $("item").dataset.key = "";
  $("done").hidden = false;
  progress();
  const counts = $("done-counts");
  counts.replaceChildren();
  $("done-sheets").hidden = true;
  if (state.mode === "check") {
    const r = await api("api/check/report");
    $("done-title").textContent = "Quality check done";
    $("done-text").replaceChildren(el("span", {class: "report", id: "report"},
      r.checked ? `${r.checked} ok values checked blind, ${r.disagreed} disagreed: estimated error rate ` +
        `${percent(r.rate)} (95% interval ${percent(r.low)} to ${percent(r.high)}).` : "Nothing checked yet."));
    return;
  }
  const s = await api("api/status");
  $("done-title").textContent = s.waiting ? "The end of this list" : "Nothing left to review";
  $("done-text").textContent = `${state.decidedKeys.size} decided here; ${s.waiting} still wait in the whole ` +
    `survey; ${s.decided} items decided in all.`;
  for (const r of s.by_reason) counts.append(el("tr", {}, el("td", {}, r.text), el("td", {class: "n"}, String(r.count))));
  showSheetProblems(s.sheets);
}

function showSheetProblems(sheets) {
  $("done-sheets").hidden = !sheets.length;
  $("sheet-problems").replaceChildren(...sheets.flatMap((s) => s.problems.map((problem) =>
    el("tr", {}, el("td", {}, s.sheet_id), el("td", {}, `${s.source} page ${s.first_page}`), el("td", {}, problem)))));
}

function fillSelect(select, entries) {
  const keep = select.value;
  select.replaceChildren(el("option", {value: ""}, "any"),
    ...entries.map(([value, text]) => el("option", {value}, text)));
  select.value = entries.some(([value]) => value === keep) ? keep : "";
}

function fillFilters(status) {
  fillSelect($("f-reason"), status.by_reason.map((r) => [r.reason, `${r.text} (${r.count})`]));
  fillSelect($("f-question"), Object.entries(status.by_question).map(([k, n]) => [k, `${k} (${n})`]));
  fillSelect($("f-programme"), Object.entries(status.by_programme).map(([k, n]) => [k, `${k} (${n})`]));
}

function askName() {
  const dialog = $("name-dialog");
  $("name-input").value = state.reviewer;
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", function closed() {
      const name = $("name-input").value.trim();
      if (!name) return dialog.showModal();
      dialog.removeEventListener("close", closed);
      state.reviewer = name;
      localStorage.setItem(NAME_KEY, name);
      $("who").textContent = name;
      resolve(name);
    });
  });
}

async function main() {
  state.info = await api("api/info");
  $("form").textContent = `Review: ${state.info.title || state.info.form}`;
  document.title = `Review – ${state.info.form}`;
  fillFilters(state.info.status);
  $("who").textContent = state.reviewer || "?";
  $("who").addEventListener("click", (ev) => {
    ev.preventDefault();
    askName();
  });
  for (const name of ["reason", "question", "programme"]) {
    $(`f-${name}`).addEventListener("change", () => (state.mode === "review" ? loadQueue() : startCheck(state.list.length)));
  }
  $("mode-review").addEventListener("click", () => loadQueue());
  const openCheck = () => $("check-dialog").showModal();
  $("mode-check").addEventListener("click", openCheck);
  $("start-check").addEventListener("click", openCheck);
  $("check-dialog").addEventListener("close", () => {
    if ($("check-dialog").returnValue === "go") startCheck(Number($("check-n").value) || 20);
  });
  $("reload").addEventListener("click", async () => {
    fillFilters(await api("api/status"));
    loadQueue();
  });
  if (!state.reviewer) await askName();
  await loadQueue();
}

main().catch((err) => tell(`The review page could not start: ${err.message}`, true));
