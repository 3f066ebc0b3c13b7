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
const COUNTS_DELAY_MS = 1000; // the filters' counts are asked for once a burst of decisions pauses
const ACTION_KEYS = new Set(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", "m", "Enter", "Backspace",
  "ArrowLeft", "ArrowRight", "u"]);

const state = {
  reviewer: localStorage.getItem(NAME_KEY) || "",
  info: null,
  mode: "review", // "check": the quality check, blind; "transcribe": comments only; "code", "codebook"
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
  countsTimer: null,
  completions: new Map(), // first letter -> words (lower case), most used first
  following: new Map(), // word -> the words that follow it, most often first
  weights: new Map(), // "key word" -> how much the word counts in either
  forms: new Map(), // word (lower case) -> its most used spelling, for words like "NHS"
  completion: "", // the letters the right arrow would add
  spaceAt: null, // where the caret is after the space a completion added
  coding: {list: [], pos: 0, card: null, mine: []},
  themes: [],
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

const FILTERS = ["form", "reason", "question", "programme"];

function filters() {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
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
  const what = {check: "Quality check: ", transcribe: "Transcribing: "}[state.mode] || "";
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
    if (forward && state.mode !== "check" && other) {
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
  if (state.info.forms.length > 1) where.push(`form ${d.form}`);
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
  const transcribing = state.mode === "transcribe" && d.kind === "comment";
  const image = cropImage(d, chosen, transcribing);
  if (transcribing) parts.push(el("div", {class: "transcribe"}, image.node, transcriptionBox(d)));
  else parts.push(image.node);
  if (d.kind === "item") parts.push(itemOptions(d, chosen, blind));
  else if (d.kind === "programme") parts.push(programmeOptions(d, blind));
  else if (!transcribing) parts.push(commentBox(d));
  parts.push(actions(d, blind));

  main.dataset.key = keyOf(d);
  main.dataset.kind = d.kind;
  main.replaceChildren(...parts);
  progress();
  // Keys go to the page (or the text box), never to a button or select last clicked.
  const text = $("text");
  if (text) {
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
    complete(text);
  }
  else if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  if (image.img) await image.img.decode().catch(() => {});
}

function cropImage(d, chosen, large = false) {
  const box = el("div", {class: d.kind === "programme" ? "crop thumb" : large ? "crop zone" : "crop", id: "crop"});
  const url = large && d.zone_url ? d.zone_url : d.crop_url;
  if (!url) {
    box.append(el("div", {class: "nocrop"}, "No image: the page holding this item is not in the scans."));
    return {node: box, img: null};
  }
  let img = state.images.get(url);
  if (!img || img.parentNode) {
    state.images.delete(url);
    preload(url);
    img = state.images.get(url);
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

// What the box starts with: the reviewer's own text if another's decision came first
// (a 409), else the decision in force, else the OCR text.
function startText(d) {
  if (d.draft !== undefined) return d.draft;
  return d.decision ? d.decision.value : (d.guess || "");
}

function commentBox(d) {
  const start = startText(d);
  return el("div", {},
    el("label", {for: "text", class: "hint"},
      "The text as written (Enter saves, Shift+Enter starts a new line, Esc leaves the box):"),
    el("textarea", {id: "text", spellcheck: "true"}, start));
}

// --- transcribing ------------------------------------------------------------------------
// The OCR text is in the box to be corrected; the words Tesseract was unsure of are
// marked beside it and Tab goes from one to the next, selected, so that typing replaces
// it. Completion offers the survey's words (the form's and those of every transcription
// saved): the word being typed, finished, or after a space the word that most often comes
// next; the right arrow takes it, with a space after.

function transcriptionBox(d) {
  const words = (d.guess || "").split(/\s+/).filter(Boolean);
  const unsure = new Set(d.unsure || []);
  const ocr = words.length
    ? words.flatMap((w, k) => [unsure.has(k) ? el("mark", {}, w) : el("span", {}, w), " "])
    : [el("span", {class: "hint"}, "not read by OCR: type what is written")];
  const start = startText(d);
  const box = el("textarea", {id: "text", spellcheck: "false", rows: 4, oninput: (ev) => complete(ev.target)}, start);
  return el("div", {class: "transcription"},
    el("p", {class: "ocr", id: "ocr"}, el("span", {class: "hint"}, "OCR: "), ...ocr),
    el("label", {for: "text", class: "hint"}, "The text as written:"), box,
    el("p", {class: "hint completion"}, "→ completes: ", el("strong", {id: "completion"}, "")));
}

function unsureWords(d) {
  const words = (d.guess || "").split(/\s+/).filter(Boolean);
  return new Set((d.unsure || []).map((k) => words[k]));
}

function jumpToUnsure(box, back) {
  const d = state.current;
  const wanted = unsureWords(d);
  const spots = [...box.value.matchAll(/\S+/g)].filter((m) => wanted.has(m[0]))
    .map((m) => [m.index, m.index + m[0].length]);
  if (!spots.length) return;
  const here = box.selectionStart;
  const found = back ? spots.filter(([a]) => a < here).pop() || spots[spots.length - 1]
    : spots.find(([a]) => a > here || (a === here && box.selectionEnd === here)) || spots[0];
  box.setSelectionRange(found[0], found[1]);
  complete(box);
}

const PUNCTUATION = /^[.,;:!?]$/;
const WORDS = /\p{L}+(?:['’]\p{L}+)?/gu;

function rank(map, key, word, weight) {
  // Keep `map.get(key)` (a list of words) sorted by weight, most first.
  const weights = state.weights;
  const id = `${key} ${word}`;
  const known = weights.has(id);
  weights.set(id, (weights.get(id) || 0) + weight);
  const list = map.get(key) || [];
  if (!known) list.push(word);
  list.sort((a, b) => weights.get(`${key} ${b}`) - weights.get(`${key} ${a}`));
  map.set(key, list);
}

function learnWords(text) {
  // As the server's vocabulary has it (scanner/review/comments.py, word_contexts).
  const found = text.match(WORDS) || [];
  const words = found.map((w) => w.toLowerCase());
  found.forEach((w, k) => {
    if (w.length >= 3) rank(state.completions, words[k][0], words[k], 1);
    if (!state.forms.has(words[k])) state.forms.set(words[k], w);
    rank(state.following, k ? words[k - 1] : "", words[k], 1);
    if (k > 1) rank(state.following, `${words[k - 2]} ${words[k - 1]}`, words[k], 1);
  });
}

async function loadVocabulary() {
  const {words, pairs} = await api("api/vocabulary");
  state.completions.clear();
  state.following.clear();
  state.weights.clear();
  state.forms.clear();
  // Most used first: weigh them down the list so that the order survives what is learnt later.
  words.forEach((w, k) => {
    const word = w.toLowerCase();
    if (!state.forms.has(word)) state.forms.set(word, w);
    const key = word[0];
    if (!state.weights.has(`${key} ${word}`)) {
      state.weights.set(`${key} ${word}`, (words.length - k) / words.length);
      if (!state.completions.has(key)) state.completions.set(key, []);
      state.completions.get(key).push(word);
    }
  });
  pairs.forEach(([a, b], k) => {
    state.weights.set(`${a} ${b}`, (pairs.length - k) / pairs.length);
    if (!state.following.has(a)) state.following.set(a, []);
    state.following.get(a).push(b);
  });
}

function complete(box) {
  // The word being typed, finished from the survey's words (those that follow the word
  // before it first); after a space, the word that most often comes next.
  const shown = $("completion");
  state.completion = "";
  if (shown) shown.textContent = "";
  if (!shown) return;
  // A word selected (Tab) is to be replaced: offer the word that comes next in its place.
  const at = box.selectionStart;
  const selected = box.value.slice(at, box.selectionEnd);
  if (selected && !/^\S+$/.test(selected)) return;
  if (/^\p{L}/u.test(box.value.slice(box.selectionEnd))) return;
  const before = box.value.slice(0, at);
  const typed = selected ? "" : (before.match(/\p{L}+(?:['’]\p{L}*)?$/u) || [""])[0];
  const rest = before.slice(0, before.length - typed.length);
  if (!typed && !/(^|\s)$/.test(rest)) return;
  const before2 = (rest.match(/(\p{L}+)[^\p{L}]+(\p{L}+)[^\p{L}]*$/u) || []).slice(1).join(" ").toLowerCase();
  const before1 = ((rest.match(/(\p{L}+)[^\p{L}]*$/u) || [])[1] || "").toLowerCase();
  const prefix = typed.toLowerCase();
  const fits = (w) => w.length > prefix.length && w.startsWith(prefix);
  const contexts = before2 ? [before2, before1] : [before1];
  let word = contexts.map((c) => (state.following.get(c) || []).find(fits)).find(Boolean);
  if (!word && prefix) word = (state.completions.get(prefix[0]) || []).find(fits);
  if (!word) return;
  const form = state.forms.get(word) || word;
  if (form.slice(1) !== form.slice(1).toLowerCase()) word = form; // "NHS", "McDonald": not a sentence's start
  if (/(^|[.!?]\s*)$/.test(rest.trimEnd())) word = word[0].toUpperCase() + word.slice(1); // a sentence starts
  state.completion = word.slice(prefix.length);
  shown.textContent = typed + state.completion;
}

function transcriptionKey(ev, box) {
  // The space a completion added is only taken back by the very next key.
  const spaceAt = ["Shift", "CapsLock"].includes(ev.key) ? state.spaceAt : null;
  const afterCompletion = state.spaceAt;
  state.spaceAt = spaceAt;
  if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey) {
    ev.preventDefault();
    jumpToUnsure(box, ev.shiftKey);
    return true;
  }
  if (ev.key === "ArrowRight" && state.completion && !ev.shiftKey && !ev.ctrlKey) {
    ev.preventDefault();
    const space = /^\s/.test(box.value.slice(box.selectionEnd)) ? "" : " ";
    box.setRangeText(state.completion + space, box.selectionStart, box.selectionEnd, "end");
    state.spaceAt = space ? box.selectionStart : null;
    complete(box);
    return true;
  }
  if (PUNCTUATION.test(ev.key) && box.selectionStart === afterCompletion && box.selectionEnd === afterCompletion) {
    // Punctuation right after a completion goes before the space it brought: "help, ".
    ev.preventDefault();
    box.setRangeText(`${ev.key} `, afterCompletion - 1, afterCompletion, "end");
    complete(box);
    return true;
  }
  if (ev.key === "Enter" && ev.ctrlKey) { // same as OCR
    ev.preventDefault();
    const d = state.current;
    queueAction(() => decide(d.guess || ""), ev.timeStamp);
    return true;
  }
  return false;
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
    if (d.guess) {
      buttons.push(el("button", {type: "button", id: "same", onclick: () => queueAction(() => decide(d.guess))},
        el("kbd", {}, "Ctrl+Enter"), " same as OCR"));
    }
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
    delete d.draft;
    if (d.kind === "comment") learnWords(value);
    state.mine.push({id: decision.id, entry});
    state.madeHere.add(decision.id);
    state.decidedKeys.add(keyOf(d));
    state.selection.clear();
    quiet();
    recount();
    state.pos += 1;
    await show(true);
  } catch (err) {
    if (err.status === 409) {
      d.decision = err.data.current;
      // Typed text is work: it stays in the box, theirs is shown above it, so that
      // deciding again is a choice between the two, not a retyping.
      const typed = d.kind === "comment" && value !== (d.decision ? d.decision.value : "");
      if (typed) d.draft = value;
      tell(`${err.message}. ` + (typed ? "Your text is still in the box: Enter saves it in place of theirs."
        : "Decide again to change it anyway."));
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
    recount();
    const stands = result.decision;
    // "u again" undoes this page's last decision, whichever item it was on: promise it only
    // when that is the one that stands now (the server refuses another reviewer's).
    const next = state.mine[state.mine.length - 1];
    const again = stands && next && next.id === stands.id ? "u again takes it back too" : "decide again to change it";
    tell(stands ? `Undone: ${keyOf(last.entry)} is decided as before, ${label(d, stands.value, stands.outcome)} ` +
      `by ${stands.reviewer}, which stands (${again}).`
      : `Undone: ${keyOf(last.entry)} is back in the queue.`);
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
  if (document.querySelector("dialog[open]")) return;
  const target = ev.target;
  if (target.id === "text" && state.current && state.current.kind === "comment" && transcriptionKey(ev, target)) return;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (!target.matches("textarea, input, select") && ev.shiftKey && MODE_KEYS[ev.key]) {
    ev.preventDefault();
    MODE_KEYS[ev.key]();
    return;
  }
  if (state.mode === "code" || state.mode === "codebook") return codingKey(ev);
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
async function loadQueue(mode = "review") {
  quiet();
  state.mode = mode;
  setModeButtons();
  $("item").replaceChildren(el("p", {class: "loading"}, "Loading the queue…"));
  const [list] = await Promise.all([api(`api/queue?${filters()}`), mode === "transcribe" ? loadVocabulary() : null]);
  state.list = mode === "transcribe" ? list.filter((e) => e.kind === "comment") : list;
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

const MODES = ["review", "check", "transcribe", "code", "codebook"];

function setModeButtons() {
  for (const mode of MODES) $(`mode-${mode}`).setAttribute("aria-pressed", String(state.mode === mode));
  const queue = !["code", "codebook"].includes(state.mode);
  $("filters").hidden = !queue;
  $("coding").hidden = state.mode !== "code";
  $("codebook").hidden = state.mode !== "codebook";
  if (!queue) {
    $("item").hidden = true;
    $("item").dataset.key = "";
    $("done").hidden = true;
  }
  $("keys-review").hidden = !["review", "check"].includes(state.mode);
  $("keys-transcribe").hidden = state.mode !== "transcribe";
  $("keys-code").hidden = queue;
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

function fillSelect(select, entries, keepGone = false) {
  const keep = select.value;
  const gone = keepGone && keep && !entries.some(([value]) => value === keep);
  // A filter in use stays chosen when nothing under it waits any more: the list on screen is its.
  const kept = gone ? [[keep, select.selectedOptions[0].textContent.replace(/\(\d+\)$/, "(0)")]] : [];
  select.replaceChildren(el("option", {value: ""}, "any"),
    ...[...entries, ...kept].map(([value, text]) => el("option", {value}, text)));
  select.value = entries.some(([value]) => value === keep) || gone ? keep : "";
}

function recount() {
  // After decisions: the counts of what still waits, asked for once the reviewer pauses.
  clearTimeout(state.countsTimer);
  state.countsTimer = setTimeout(() => api("api/status").then((s) => fillFilters(s, true)).catch(() => {}),
    COUNTS_DELAY_MS);
}

function fillFilters(status, keepGone = false) {
  // Of several forms, a question is named by its form (two forms may number theirs alike).
  $("f-form-label").hidden = state.info.forms.length < 2;
  fillSelect($("f-form"), Object.entries(status.by_form).map(([k, n]) => [k, `${k} (${n})`]), keepGone);
  fillSelect($("f-reason"), status.by_reason.map((r) => [r.reason, `${r.text} (${r.count})`]), keepGone);
  fillSelect($("f-question"), Object.entries(status.by_question).map(([k, n]) => [k, `${k} (${n})`]), keepGone);
  fillSelect($("f-programme"), Object.entries(status.by_programme).map(([k, n]) => [k, `${k} (${n})`]), keepGone);
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
  for (const name of FILTERS) {
    $(`f-${name}`).addEventListener("change", () => (state.mode === "check" ? startCheck(state.list.length)
      : loadQueue(state.mode)));
  }
  $("mode-review").addEventListener("click", () => loadQueue());
  $("mode-transcribe").addEventListener("click", () => loadQueue("transcribe"));
  $("mode-code").addEventListener("click", () => loadCoding());
  $("mode-codebook").addEventListener("click", () => loadCodebook());
  setUpCoding();
  const openCheck = () => $("check-dialog").showModal();
  $("mode-check").addEventListener("click", openCheck);
  $("start-check").addEventListener("click", openCheck);
  $("check-dialog").addEventListener("close", () => {
    if ($("check-dialog").returnValue === "go") startCheck(Number($("check-n").value) || 20);
  });
  $("reload").addEventListener("click", async () => {
    fillFilters(await api("api/status"));
    loadQueue(state.mode === "transcribe" ? "transcribe" : "review");
  });
  if (!state.reviewer) await askName();
  await loadQueue();
}

// --- coding comments with themes ----------------------------------------------------------
// One comment at a time from a filtered list; number keys give or take off the themes
// numbered in the codebook; every step is saved at once with the coder's name and time,
// and `u` takes back the coder's last step. Suggestions are only shown: a key codes them.

const MODE_KEYS = {Q: () => loadQueue(), T: () => loadQueue("transcribe"), C: () => loadCoding(),
  K: () => loadCodebook()};

function codingFilters() {
  const params = new URLSearchParams();
  for (const name of ["form", "question", "programme", "role", "text"]) {
    const value = $(`c-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  if ($("c-uncoded").checked) {
    params.set("uncoded", "1");
    params.set("coder", state.reviewer);
  }
  return params;
}

async function loadCoding() {
  quiet();
  state.mode = "code";
  setModeButtons();
  const c = state.coding;
  const keep = c.list[c.pos];
  c.list = await api(`api/comments?${codingFilters()}`);
  if (!$("c-question").options.length || $("c-question").options.length === 1) fillCodingFilters(c.list);
  const again = keep ? c.list.findIndex((e) => e.sheet_id === keep.sheet_id && e.comment === keep.comment) : -1;
  c.pos = again >= 0 ? again : 0;
  await showCard();
}

function fillCodingFilters(list) {
  // Of several forms, a question is named by its form, as the queue's filter names it.
  const several = state.info.forms.length > 1;
  const distinct = (name) => [...new Set(list.map((e) => e[name]).filter(Boolean))].sort((a, b) => a.localeCompare(b, undefined, {numeric: true}))
    .map((v) => [v, name === "question" && !several ? `Q${v}` : v]);
  $("c-form-label").hidden = !several;
  fillSelect($("c-form"), distinct("form"));
  fillSelect($("c-question"), distinct("question"));
  fillSelect($("c-programme"), distinct("programme"));
  fillSelect($("c-role"), distinct("role"));
}

async function showCard() {
  const c = state.coding;
  const box = $("card");
  const entry = c.list[c.pos];
  if (!entry) {
    c.card = null;
    box.dataset.key = "";
    box.replaceChildren(el("p", {class: "loading"}, c.list.length ? "The end of the list." :
      "No written comment matches these filters."));
    $("progress").textContent = `Coding: ${c.list.length} comments`;
    return;
  }
  const params = new URLSearchParams({sheet: entry.sheet_id, item: entry.comment, coder: state.reviewer});
  c.card = await api(`api/comment?${params}`);
  renderCard(c.card);
}

function renderCard(card) {
  const c = state.coding;
  const where = [`Sheet ${card.sheet_id}`, card.comment, card.programme || "programme unknown", card.role || "role unknown"];
  const themes = card.themes.map((t, k) => el("li", {class: [t.mine ? "mine" : "", t.in_force ? "in-force" : ""]
    .join(" ").trim() || null, "data-theme": t.name},
  k < 9 ? el("kbd", {}, String(k + 1)) : el("span", {class: "nokey"}), " ",
  el("button", {type: "button", class: "theme", "aria-pressed": String(t.mine), onclick: () => codingAction(() => toggle(t))},
    t.parent ? `${t.parent} › ${t.name}` : t.name),
  t.description ? el("span", {class: "hint"}, ` ${t.description}`) : null));
  const numbers = new Map(card.themes.map((t, k) => [t.name, k + 1]));
  const suggestions = card.suggestions.map((s, k) => el("li", {"data-theme": s.theme},
    k === 0 ? el("kbd", {}, "s") : null, " ", numbers.get(s.theme) <= 9 ? el("kbd", {}, String(numbers.get(s.theme))) : null,
    ` ${s.theme} `, el("span", {class: "hint"}, `(${s.score.toFixed(2)}) because of ${s.why}`)));
  const others = card.coded_by.filter((who) => who !== state.reviewer);
  $("card").dataset.key = `${card.sheet_id}/${card.comment}`;
  $("card").replaceChildren(...[
    el("p", {class: "where"}, where.join(" · ")),
    card.question ? el("p", {class: "stem"}, `Q${card.question}. ${card.stem}`) : null,
    card.prompt ? el("p", {class: "stem"}, card.prompt) : null,
    el("blockquote", {class: "comment-text", id: "comment-text"}, card.text),
    card.crop_url ? el("img", {class: "comment-crop", src: card.crop_url, alt: "the comment as written"}) : null,
    el("div", {class: "coding"},
      el("div", {}, el("h3", {}, "Themes"), el("ol", {class: "themes", id: "card-themes"}, themes),
        card.themes.length ? null : el("p", {class: "hint"}, "No themes yet: make some in the Codebook (Shift+K).")),
      el("div", {}, el("h3", {}, "Suggested"), suggestions.length ? el("ul", {class: "suggestions", id: "suggestions"},
        suggestions) : el("p", {class: "hint", id: "suggestions"}, "Nothing to suggest yet."))),
    el("label", {for: "memo", class: "hint"}, "Memo (m; Enter saves, Esc leaves):"),
    el("textarea", {id: "memo", rows: 2}, card.memo),
    el("p", {class: "hint"}, card.coder_in_force ? `Themes in force: ${card.coder_in_force}'s coding.` : "Not coded yet.",
      others.length ? ` Also coded by ${others.join(", ")}.` : ""),
  ].filter(Boolean));
  $("progress").textContent = `Coding: ${c.pos + 1} of ${c.list.length}`;
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
}

async function codingStep(body) {
  const coding = await post("api/coding", {...body, coder: state.reviewer});
  state.coding.mine.push(coding);
  return coding;
}

async function toggle(theme) {
  const card = state.coding.card;
  if (!card) return;
  await codingStep({sheet_id: card.sheet_id, item: card.comment, action: theme.mine ? "uncode" : "code",
    theme: theme.name});
  await showCard();
}

async function saveMemo() {
  const card = state.coding.card;
  if (!card) return;
  await codingStep({sheet_id: card.sheet_id, item: card.comment, action: "memo", memo: $("memo").value});
  await showCard();
}

async function undoCoding() {
  const c = state.coding;
  if (!c.mine.length) return tell("Nothing to undo.");
  const step = c.mine.pop();
  await post("api/coding/undo", {coder: state.reviewer, id: step.id});
  const at = c.list.findIndex((e) => e.sheet_id === step.sheet_id && e.comment === step.item);
  if (at >= 0) c.pos = at;
  tell(`Undone: ${step.action} ${step.theme || ""} on ${step.sheet_id}/${step.item}.`);
  await showCard();
}

async function moveCard(by) {
  const c = state.coding;
  c.pos = Math.max(0, Math.min(c.list.length, c.pos + by));
  quiet();
  await showCard();
}

function codingAction(action) {
  state.chain = state.chain.then(action).catch((err) => tell(err.message, true));
  return state.chain;
}

function codingKey(ev) {
  const target = ev.target;
  if (target.matches("textarea, input, select")) {
    if (target.id === "memo" && ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      target.blur();
      codingAction(saveMemo);
    } else if (target.id === "c-text" && ev.key === "Enter") {
      ev.preventDefault();
      target.blur();
      codingAction(loadCoding);
    } else if (ev.key === "Escape") {
      target.blur();
    }
    return;
  }
  if (state.mode !== "code") return;
  const card = state.coding.card;
  const digit = /^[1-9]$/.test(ev.key) ? Number(ev.key) : 0;
  const actions = {
    Enter: () => moveCard(1), ArrowRight: () => moveCard(1), ArrowLeft: () => moveCard(-1),
    Backspace: () => moveCard(-1), u: undoCoding,
    s: () => card && card.suggestions.length &&
      toggle(card.themes.find((t) => t.name === card.suggestions[0].theme)),
  };
  if (ev.key === "m" && card) {
    ev.preventDefault();
    $("memo").focus();
  } else if (ev.key === "/") {
    ev.preventDefault();
    $("c-text").focus();
  } else if (digit && card && card.themes[digit - 1]) {
    ev.preventDefault();
    codingAction(() => toggle(card.themes[digit - 1]));
  } else if (actions[ev.key]) {
    ev.preventDefault();
    codingAction(actions[ev.key]);
  }
}

function setUpCoding() {
  for (const name of ["form", "question", "programme", "role", "uncoded"]) {
    $(`c-${name}`).addEventListener("change", () => codingAction(loadCoding));
  }
  $("theme-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    codingAction(saveTheme);
  });
  $("t-new").addEventListener("click", () => editTheme(null));
}

// --- the codebook ---------------------------------------------------------------------------
async function loadCodebook() {
  quiet();
  state.mode = "codebook";
  setModeButtons();
  state.themes = await api("api/themes");
  $("progress").textContent = `Codebook: ${state.themes.length} themes`;
  $("themes").replaceChildren(el("tr", {}, el("th", {}, "Key"), el("th", {}, "Theme"), el("th", {}, "Description"),
    el("th", {}, "Under"), el("th", {}, "Key words"), el("th", {})),
  ...state.themes.map((t, k) => el("tr", {}, el("td", {}, k < 9 ? el("kbd", {}, String(k + 1)) : ""),
    el("td", {}, t.name), el("td", {}, t.description), el("td", {}, t.parent || ""),
    el("td", {}, t.keywords.join(", ")),
    el("td", {}, el("button", {type: "button", onclick: () => editTheme(t)}, "Edit")))));
  fillSelect($("t-parent"), state.themes.map((t) => [t.name, t.name]));
  $("t-parent").options[0].textContent = "(top level)";
  editTheme(null);
}

function editTheme(theme) {
  $("theme-form-title").textContent = theme ? `Change ${theme.name}` : "New theme";
  $("t-old").value = theme ? theme.name : "";
  $("t-name").value = theme ? theme.name : "";
  $("t-description").value = theme ? theme.description : "";
  $("t-parent").value = theme && theme.parent ? theme.parent : "";
  $("t-keywords").value = theme ? theme.keywords.join(", ") : "";
  $("t-name").focus();
}

async function saveTheme() {
  const theme = await post("api/theme", {
    old_name: $("t-old").value || null, name: $("t-name").value, description: $("t-description").value,
    parent: $("t-parent").value || null,
    keywords: $("t-keywords").value.split(",").map((w) => w.trim()).filter(Boolean),
  });
  await loadCodebook();
  tell(`Saved the theme ${theme.name}.`);
}

main().catch((err) => tell(`The review page could not start: ${err.message}`, true));
