// Tandem span coder (Streamlit components v2, mounted with isolate_styles=False).
//
// Offsets: every number sent to Python is a code point index into the document text
// (Python's str index), never a UTF-16 unit. A piece's text node holds the piece text;
// a DOM offset inside it is a UTF-16 unit count, turned into code points with
// [...node.data.slice(0, offset)].length (spreading a string iterates code points).
//
// Safety: all user text (document text, code names) goes through textContent or a
// property (title, style); nothing is ever parsed as HTML.
//
// Streamlit calls this function again with new data on each rerun, with the same
// parentElement, so listeners are attached once and read the latest data from `st`.

const cpLength = (s) => [...s].length;

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".tdm-sc");
  if (!root) return undefined;
  let st = root.__tdmSpanCoder;
  if (!st) {
    st = { data: null, send: null, pieceOf: new WeakMap(), listeners: null };
    root.__tdmSpanCoder = st;
    attach(root, st);
  }
  st.data = normalise(decode(data));
  st.send = setTriggerValue;
  render(root, st);
  return () => {
    if (!root.isConnected) detach(root, st);
  };
}

// Python sends the payload as UTF-8 JSON bytes (half the size of Streamlit's ASCII JSON
// for Chinese text); accept a plain object too.
function decode(data) {
  if (data instanceof ArrayBuffer) data = new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    try {
      return JSON.parse(new TextDecoder("utf-8").decode(data));
    } catch (e) {
      return {};
    }
  }
  if (typeof data === "string") {
    try {
      return JSON.parse(data);
    } catch (e) {
      return {};
    }
  }
  return data;
}

function normalise(data) {
  const d = data || {};
  return {
    pieces: Array.isArray(d.pieces) ? d.pieces : [],
    codes: Array.isArray(d.codes) ? d.codes : [],
    codings: d.codings && typeof d.codings === "object" ? d.codings : {},
    section: Array.isArray(d.section) ? d.section : [0, 0],
    selected: d.selected ?? null,
    chosen: Array.isArray(d.chosen) ? d.chosen : [],
    paras: Array.isArray(d.paras) ? d.paras : [],
    scroll: typeof d.scroll === "number" ? d.scroll : null,
    labels: d.labels && typeof d.labels === "object" ? d.labels : {},
  };
}

// The component's words: Python sends them translated (data.labels); English when absent.
// "{n}" is replaced by `n`.
const ENGLISH = {
  filter: "Find a code… (Enter applies the first)",
  filter_name: "Find a code",
  bar: "Codes",
  code_key: "Code the selection (key {n})",
  code: "Code the selection",
  no_match: "No code matches the filter.",
  apply: "Apply chosen ({n})",
  apply_help: "Apply every code chosen in the list above to the selection",
  not_offered: "a code not offered here",
  selected: "{n} characters selected: press a code button or its number key.",
  hint:
    "Select text, then press a code button (or keys 1–9, or type a code's name above and Enter). " +
    "Click a highlight to open its coding.",
  select_first: "Select some text first.",
};

function word(st, key, n) {
  const given = st.data && st.data.labels ? st.data.labels[key] : undefined;
  const text = typeof given === "string" && given ? given : ENGLISH[key];
  return n === undefined ? text : text.split("{n}").join(String(n));
}

function parts(root) {
  return {
    bar: root.querySelector(".tdm-sc-bar"),
    status: root.querySelector(".tdm-sc-status"),
    text: root.querySelector(".tdm-sc-text"),
    filter: root.querySelector(".tdm-sc-filter"),
  };
}

// ---------------------------------------------------------------- rendering

function render(root, st) {
  const { filter, bar } = parts(root);
  if (filter) {
    filter.placeholder = word(st, "filter");
    filter.setAttribute("aria-label", word(st, "filter_name"));
  }
  if (bar) bar.setAttribute("aria-label", word(st, "bar"));
  renderButtons(root, st);
  renderText(root, st);
  showStatus(root, st);
  scrollToTarget(root, st);
}

// The codes shown on the buttons: those whose name contains the filter text (all when
// it is empty). The first nine shown answer to keys 1–9.
function shownCodes(root, st) {
  const { filter } = parts(root);
  const q = filter ? filter.value.trim().toLowerCase() : "";
  const all = st.data.codes.map((code, index) => ({ code, index }));
  return q ? all.filter(({ code }) => String(code.name).toLowerCase().includes(q)) : all;
}

function renderButtons(root, st) {
  const { bar } = parts(root);
  const buttons = document.createDocumentFragment();
  const shown = shownCodes(root, st);
  shown.forEach(({ code, index }, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tdm-sc-code";
    button.dataset.index = String(index);
    const swatch = document.createElement("span");
    swatch.className = "tdm-sc-swatch";
    swatch.style.backgroundColor = code.colour;
    const label = document.createElement("span");
    label.textContent = i < 9 ? `${i + 1} · ${code.name}` : String(code.name);
    button.title = i < 9 ? word(st, "code_key", i + 1) : word(st, "code");
    button.append(swatch, label);
    buttons.appendChild(button);
  });
  if (!shown.length) {
    const none = document.createElement("span");
    none.className = "tdm-sc-none";
    none.textContent = word(st, "no_match");
    buttons.appendChild(none);
  }
  if (st.data.chosen.length) {
    const apply = document.createElement("button");
    apply.type = "button";
    apply.className = "tdm-sc-code tdm-sc-apply";
    apply.dataset.chosen = "1";
    apply.textContent = word(st, "apply", st.data.chosen.length);
    apply.title = word(st, "apply_help");
    buttons.appendChild(apply);
  }
  bar.replaceChildren(buttons);
}

function pieceElement(st, piece, codeName) {
  const { selected } = st.data;
  const el = document.createElement("span");
  el.className = "tdm-sc-piece";
  el.dataset.start = String(piece.s);
  el.textContent = piece.t;
  if (piece.c && piece.c.length) {
    el.classList.add("tdm-sc-coded");
    el.dataset.codings = piece.c.join(" ");
    el.style.backgroundColor = piece.bg || "";
    el.title = piece.c.map(codeName).join("\n");
    if (selected !== null && piece.c.includes(selected)) el.classList.add("tdm-sc-selected");
  }
  st.pieceOf.set(el, piece);
  return el;
}

// The text, paragraph by paragraph when paragraph spans came along: each paragraph a
// block with a margin stripe per code touching it. Text between paragraphs (blank lines)
// stays in the DOM, hidden, so DOM text order is document order and offsets stay exact.
function renderText(root, st) {
  const { text } = parts(root);
  const { pieces, codes, codings, paras } = st.data;
  const codeName = (codingId) => {
    const coding = codings[String(codingId)];
    return coding ? String(coding.name) : `coding ${codingId}`;
  };
  const codeById = new Map(codes.map((c) => [c.id, c]));
  const out = document.createDocumentFragment();
  let p = 0;
  let block = null;
  for (const piece of pieces) {
    while (p < paras.length && piece.s >= paras[p][1]) {
      p += 1;
      block = null;
    }
    const inside = p < paras.length && piece.s >= paras[p][0];
    if (!inside) {
      const el = pieceElement(st, piece, codeName);
      if (paras.length && !piece.t.trim()) el.classList.add("tdm-sc-gap");
      out.appendChild(el);
      continue;
    }
    if (!block) {
      const para = document.createElement("div");
      para.className = "tdm-sc-para";
      para.dataset.start = String(paras[p][0]);
      const marks = document.createElement("div");
      marks.className = "tdm-sc-marks";
      marks.setAttribute("aria-hidden", "true");
      for (const id of paras[p][2] || []) {
        const code = codeById.get(id);
        const mark = document.createElement("span");
        mark.className = "tdm-sc-mark";
        mark.style.backgroundColor = code ? code.colour : "#999999";
        mark.title = code ? String(code.name) : word(st, "not_offered");
        marks.appendChild(mark);
      }
      block = document.createElement("div");
      block.className = "tdm-sc-ptext";
      para.append(marks, block);
      out.appendChild(para);
    }
    block.appendChild(pieceElement(st, piece, codeName));
  }
  text.replaceChildren(out);
}

// Bring the scroll target (a code point) into view when it changed since the last render.
function scrollToTarget(root, st) {
  const target = st.data.scroll;
  if (target === null || target === st.lastScroll) return;
  st.lastScroll = target;
  const { text } = parts(root);
  let found = null;
  for (const el of text.querySelectorAll(".tdm-sc-piece")) {
    const piece = st.pieceOf.get(el);
    if (piece && piece.s <= target && target < piece.s + cpLength(piece.t)) {
      found = el.closest(".tdm-sc-para") || el;
      break;
    }
  }
  if (found) requestAnimationFrame(() => found.scrollIntoView({ block: "center" }));
}

// ------------------------------------------------------- selection → code points

// One DOM boundary point (node, offset) inside the text element → code point index
// into the document.
function toCodePoint(textEl, st, node, offset) {
  if (node.nodeType === Node.TEXT_NODE) {
    const piece = node.parentNode && st.pieceOf.get(node.parentNode);
    if (piece) return piece.s + cpLength(node.data.slice(0, offset));
  }
  // An element boundary (offset counts child nodes) or a node we did not make: count
  // the code points of all section text before the point.
  const before = document.createRange();
  before.setStart(textEl, 0);
  before.setEnd(node, offset);
  return st.data.section[0] + cpLength(before.toString());
}

// The current selection as {start, end} in document code points, clipped to this
// component's text; null when nothing of it is selected.
function selectionSpan(root, st) {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const textEl = parts(root).text;
  const range = sel.getRangeAt(0);
  if (!range.intersectsNode(textEl)) return null;
  const whole = document.createRange();
  whole.selectNodeContents(textEl);
  let [sc, so, ec, eo] = [range.startContainer, range.startOffset, range.endContainer, range.endOffset];
  if (range.compareBoundaryPoints(Range.START_TO_START, whole) < 0) [sc, so] = [whole.startContainer, whole.startOffset];
  if (range.compareBoundaryPoints(Range.END_TO_END, whole) > 0) [ec, eo] = [whole.endContainer, whole.endOffset];
  const start = toCodePoint(textEl, st, sc, so);
  const end = toCodePoint(textEl, st, ec, eo);
  return end > start ? { start, end } : null;
}

function showStatus(root, st, message) {
  const { status } = parts(root);
  if (message) {
    status.textContent = message;
    return;
  }
  const span = selectionSpan(root, st) || (document.activeElement === parts(root).filter ? st.savedSpan : null);
  status.textContent = span ? word(st, "selected", span.end - span.start) : word(st, "hint");
}

// ---------------------------------------------------------------- actions

function applyCodes(root, st, codeIds) {
  const { filter } = parts(root);
  const span = selectionSpan(root, st) || (document.activeElement === filter ? st.savedSpan : null);
  if (!span) {
    showStatus(root, st, word(st, "select_first"));
    return;
  }
  st.send("code", { start: span.start, end: span.end, code_ids: codeIds });
  st.savedSpan = null;
  document.getSelection().removeAllRanges();
}

// Click on a highlight without a selection: select the shortest coding under the
// pointer; clicking again cycles through the overlapping codings.
function selectCoding(st, piece) {
  const length = (id) => {
    const c = st.data.codings[String(id)];
    return c ? c.e - c.s : Number.MAX_SAFE_INTEGER;
  };
  const ids = [...piece.c].sort((a, b) => length(a) - length(b) || (a < b ? -1 : a > b ? 1 : 0));
  const next = ids[(ids.indexOf(st.data.selected) + 1) % ids.length];
  st.send("select", { coding_id: next });
}

function attach(root, st) {
  const { bar, text } = parts(root);
  const onButtonDown = (e) => {
    if (e.target.closest(".tdm-sc-code")) e.preventDefault(); // keep the selection alive
  };
  const onButtonClick = (e) => {
    const button = e.target.closest(".tdm-sc-code");
    if (button && button.dataset.chosen) {
      if (st.data.chosen.length) applyCodes(root, st, st.data.chosen.slice());
      return;
    }
    const code = button && st.data.codes[Number(button.dataset.index)];
    if (code) applyCodes(root, st, [code.id]);
  };
  const onTextClick = (e) => {
    if (selectionSpan(root, st)) return; // a drag that ended here is a selection, not a click
    const el = e.target.closest && e.target.closest(".tdm-sc-piece");
    const piece = el && st.pieceOf.get(el);
    if (piece && piece.c && piece.c.length) selectCoding(st, piece);
  };
  const onKey = (e) => {
    if (!root.isConnected) return detach(root, st);
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || !/^[1-9]$/.test(e.key)) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName || ""))) return;
    const shown = shownCodes(root, st)[Number(e.key) - 1];
    const code = shown && shown.code;
    if (!code || !selectionSpan(root, st)) return;
    e.preventDefault();
    applyCodes(root, st, [code.id]);
  };
  const onSelectionChange = () => {
    if (!root.isConnected) return detach(root, st);
    const span = selectionSpan(root, st);
    if (span) st.savedSpan = span; // kept while the filter box has the focus
    showStatus(root, st);
  };
  const { filter } = parts(root);
  const onFilterInput = () => renderButtons(root, st);
  const onFilterKey = (e) => {
    if (e.key === "Escape") {
      filter.value = "";
      renderButtons(root, st);
      return;
    }
    if (e.key !== "Enter" || e.isComposing) return; // an IME composing Chinese uses Enter itself
    e.preventDefault();
    const first = shownCodes(root, st)[0];
    if (first) applyCodes(root, st, [first.code.id]);
  };
  if (filter) {
    filter.addEventListener("input", onFilterInput);
    filter.addEventListener("keydown", onFilterKey);
  }
  bar.addEventListener("mousedown", onButtonDown);
  bar.addEventListener("click", onButtonClick);
  text.addEventListener("click", onTextClick);
  document.addEventListener("keydown", onKey);
  document.addEventListener("selectionchange", onSelectionChange);
  st.listeners = { onKey, onSelectionChange };
}

function detach(root, st) {
  if (!st.listeners) return;
  document.removeEventListener("keydown", st.listeners.onKey);
  document.removeEventListener("selectionchange", st.listeners.onSelectionChange);
  st.listeners = null;
  delete root.__tdmSpanCoder;
}
