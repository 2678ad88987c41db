/* kg review: the source text with every drafted item highlighted, the current item as a form, keyboard first.
   Everything the server sends is put into the page as text (textContent, value), never as HTML.
   Offsets are Unicode code points, as in the records: the page converts from the browser's UTF-16. */
"use strict";
(function () {
  const TOKEN = document.querySelector('meta[name="kg-token"]').content;
  const KIND_ZH = {goal: "目标", measure: "措施", statement: "数字", facility: "设施", district: "区县",
                   document: "文档"};
  const STATUS_ZH = {open: "未审", accepted: "已接受", edited: "已修改", added: "新增", document: "整篇"};
  const FIELD_ZH = {
    label: "名称（中文）", label_en: "名称（英文）", parent: "上级目标", ordinal: "序号", goal: "所属目标",
    category: "类别", districts: "区县", facilities: "设施", span: "范围", year: "年份", note: "备注",
    kind: "类型", value: "数值", unit: "单位", comparator: "比较", as_written: "原文写法", type: "设施类型",
    district: "区县", date: "发布日期", publisher: "发布者", city: "城市（地名表）", jurisdiction: "辖区",
  };
  const KIND_VALUE_ZH = {target: "目标值（计划）", outcome: "完成值（回顾）", indicator: "指标（旧）"};
  const COMP_ZH = {"increase-by": "增加", "decrease-by": "减少", exactly: "等于", "at-least": "不少于",
                   "at-most": "不超过", approximately: "约"};
  const RANK = {statement: 0, facility: 1, district: 2, measure: 3, goal: 4};

  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) e.append(c);
    return e;
  };
  const cpLen = (s) => { let n = 0; for (const _ of s) n++; return n; };

  const state = {view: null, chars: [], current: null, selection: null, busy: false, ready: false,
                 lastError: null, problems: {}, onlyOpen: false, saved: 0};
  window.kgReview = state;

  async function api(path, body) {
    const opts = {headers: {"X-KG-Token": TOKEN}};
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = {error: `HTTP ${r.status}`}; }
    return {status: r.status, data};
  }

  // ---------------------------------------------------------------- state and rendering

  function items() {
    const all = state.view ? state.view.items : [];
    return state.onlyOpen ? all.filter((i) => !i.reviewed || i.key === state.current) : all;
  }
  function itemByKey(key) { return state.view.items.find((i) => i.key === key) || null; }
  function currentItem() { return state.current ? itemByKey(state.current) : null; }

  function setView(view, current) {
    state.view = view;
    state.chars = Array.from(view.text);
    if (current && itemByKey(current)) state.current = current;
    else if (!state.current || !itemByKey(state.current)) {
      const open = view.items.find((i) => !i.reviewed);
      state.current = open ? open.key : (view.items[0] ? view.items[0].key : null);
    }
    renderText();
    renderSide();
    state.ready = true;
  }

  function renderText() {
    const text = $("text");
    const cuts = new Set([0, state.chars.length]);
    for (const it of state.view.items) { cuts.add(it.span[0]); cuts.add(it.span[1]); }
    const bounds = [...cuts].filter((c) => c >= 0 && c <= state.chars.length).sort((a, b) => a - b);
    // which items cover each piece: sweep over the sorted spans
    const frag = document.createDocumentFragment();
    const cur = currentItem();
    for (let b = 0; b < bounds.length - 1; b++) {
      const s = bounds[b], e = bounds[b + 1];
      const span = el("span", {textContent: state.chars.slice(s, e).join("")});
      span.dataset.s = String(s);
      const covering = state.view.items.filter((i) => i.span[0] <= s && e <= i.span[1]);
      for (const i of covering) {
        span.classList.add("k-" + i.kind);
        if (!i.reviewed) span.classList.add("open-" + i.kind);
      }
      if (covering.length) span.classList.add("hl");
      if (cur && cur.span[0] <= s && e <= cur.span[1]) span.classList.add("cur");
      frag.append(span);
    }
    text.replaceChildren(frag);
  }

  function renderSide() {
    const v = state.view;
    $("file").textContent = v.file;
    const c = v.counts;
    const total = (f) => Object.values(c).reduce((n, k) => n + k[f], 0);
    $("progress").replaceChildren(
      el("span", {className: "left", textContent: `剩余 ${total("left")}`}),
      el("span", {textContent: ` · 接受 ${total("accepted")} · 修改 ${total("edited")} · 拒绝 ${total("rejected")}` +
                               ` · 新增 ${total("added")}`}),
      el("span", {className: "by-kind", textContent: "（数字：剩余 " + c.statement.left + " / 草稿 " +
                                                     c.statement.drafted + "）"}));
    const list = items();
    const idx = list.findIndex((i) => i.key === state.current);
    $("position").textContent = list.length ? `${idx + 1} / ${list.length}` : "没有条目";
    renderForm();
    renderProblems();
    const d = v.document || {};
    const title = d.title && typeof d.title === "object" ? d.title.zh : d.title;
    $("doc").textContent = `文档 ${d.id || ""} · ${title || ""} · ${d.year || ""} 年` +
      (d.jurisdiction ? ` · 辖区 ${d.jurisdiction}` : "") + (d.reviewed ? " · 已全部审核" : "");
  }

  function datalist(id, rows) {
    const dl = el("datalist", {id});
    for (const r of rows) dl.append(el("option", {value: r[0], label: r.slice(1).filter(Boolean).join(" · ")}));
    return dl;
  }

  function field(item, name) {
    const v = state.view.vocab;
    const f = item.fields;
    const label = el("label", {className: "field f-" + name}, el("span", {textContent: FIELD_ZH[name] || name}));
    let input;
    const text = (value, list) => {
      input = el("input", {type: "text", name, value: value == null ? "" : String(value)});
      if (list) input.setAttribute("list", list);
      return input;
    };
    if (name === "span") {
      const s = item.span;
      const quote = state.chars.slice(s[0], Math.min(s[1], s[0] + 60)).join("");
      label.append(el("output", {name: "span", textContent: `[${s[0]}, ${s[1]}]  «${quote}»`}),
                   el("small", {textContent: "用鼠标选中正文，按 m 移动范围"}));
      return label;
    }
    if (name === "kind") {
      input = el("select", {name});
      for (const k of v.kinds) input.append(el("option", {value: k, textContent: `${KIND_VALUE_ZH[k] || k} (${k})`}));
      input.value = f.kind;
    } else if (name === "comparator") {
      const comps = Array.isArray(f.comparator) ? f.comparator : [f.comparator];
      const change = el("select", {name: "change"}), bound = el("select", {name: "bound"});
      change.append(el("option", {value: "", textContent: "（无变化量）"}));
      bound.append(el("option", {value: "", textContent: "（无界限）"}));
      for (const k of v.changes) change.append(el("option", {value: k, textContent: `${COMP_ZH[k] || k} (${k})`}));
      for (const k of v.bounds) bound.append(el("option", {value: k, textContent: `${COMP_ZH[k] || k} (${k})`}));
      change.value = comps.find((x) => v.changes.includes(x)) || "";
      bound.value = comps.find((x) => v.bounds.includes(x)) || "";
      label.append(change, bound);
      return label;
    } else if (name === "unit") {
      text(f.unit, "dl-units");
    } else if (name === "category") {
      text(f.category, "dl-categories");
      input.placeholder = "输入中文或英文搜索类别";
    } else if (name === "type") {
      text(f.type, "dl-ftypes");
    } else if (name === "district" || name === "jurisdiction") {
      text(f[name], "dl-districts");
    } else if (name === "city") {
      text(f.city, "dl-cities");
    } else if (name === "goal" || name === "parent") {
      text(f[name], "dl-goals");
    } else if (name === "facilities") {
      text((f.facilities || []).join(", "), "dl-facilities");
    } else if (name === "districts" && !v.districts.length) {  // no gazetteer for this document: names
      text((f.districts || []).join(", "), null);
    } else if (name === "districts") {
      input = el("fieldset", {className: "checks", name: "districts"});
      const have = new Set(f.districts || []);
      for (const d of v.districts) {
        const box = el("input", {type: "checkbox", value: d[1], checked: have.has(d[1]) || have.has(d[0])});
        input.append(el("label", {}, box, d[1]));
      }
    } else {
      text(f[name], null);
      if (name === "value" || name === "year" || name === "ordinal") input.inputMode = "decimal";
    }
    label.append(input);
    const rows = {unit: v.units, category: v.categories, type: v.facility_types, city: v.cities}[name];
    if (rows) {  // the key's zh and en names, as the reviewer types
      const hint = el("small", {className: "hint"});
      const show = () => {
        const row = rows.find((r) => r[0] === input.value.trim());
        hint.textContent = row ? row.slice(1).join(" · ") : "不在词表里（kg build 会拒绝）";
      };
      input.addEventListener("input", show);
      show();
      label.append(hint);
    }
    return label;
  }

  function renderForm() {
    const form = $("form");
    const item = currentItem();
    form.replaceChildren();
    if (!item) return;
    const v = state.view.vocab;
    const head = el("div", {className: "item-head"},
      el("span", {className: "kind kind-" + item.kind, textContent: KIND_ZH[item.kind] || item.kind}),
      el("code", {textContent: item.id}),
      el("span", {className: "badge st-" + item.status, textContent: STATUS_ZH[item.status] || item.status}),
      el("span", {className: "line", textContent: `第 ${item.line} 行`}));
    form.append(head);
    if (item.kind === "statement" && item.parent) {
      const m = itemByKey(item.parent);
      if (m) form.append(el("div", {className: "parent", textContent: `所属措施：${m.fields.label || m.id}`}));
    }
    for (const name of state.view.vocab.editable[item.kind] || []) form.append(field(item, name));
    form.append(datalist("dl-units", v.units), datalist("dl-categories", v.categories),
                datalist("dl-ftypes", v.facility_types), datalist("dl-districts", v.districts),
                datalist("dl-goals", v.goals), datalist("dl-facilities", v.facilities),
                datalist("dl-cities", v.cities));
    $("split").hidden = item.kind !== "statement";
  }

  function renderProblems() {
    const ul = $("problems");
    ul.replaceChildren();
    const item = currentItem();
    const msgs = [...(state.problems[state.current] || []),
                  ...((item && state.view.problems[item.key]) || [])];
    for (const m of msgs) ul.append(el("li", {textContent: m}));
  }

  function formFields() {
    const item = currentItem();
    const form = $("form");
    const out = {};
    for (const name of state.view.vocab.editable[item.kind]) {
      if (name === "span") continue;
      if (name === "comparator") {
        const c = [form.elements.change.value, form.elements.bound.value].filter(Boolean);
        out.comparator = c.length === 1 ? c[0] : c;
      } else if (name === "districts" && form.elements.districts.tagName === "INPUT") {
        out.districts = form.elements.districts.value.split(/[,，、\s]+/).filter(Boolean);
      } else if (name === "districts") {
        out.districts = [...form.querySelectorAll(".f-districts input:checked")].map((b) => b.value);
      } else if (name === "facilities") {
        out.facilities = form.elements.facilities.value.split(/[,，\s]+/).filter(Boolean);
      } else {
        out[name] = form.elements[name].value;
      }
    }
    // only what differs from the item, so the file changes only there
    const f = item.fields;
    for (const k of Object.keys(out)) {
      const before = f[k] == null ? "" : f[k];
      if (JSON.stringify(out[k]) === JSON.stringify(before) || String(out[k]) === String(before)) delete out[k];
      else if (k === "districts" && JSON.stringify(out[k]) === JSON.stringify(before || [])) delete out[k];
    }
    if (out.comparator !== undefined) {
      const had = Array.isArray(f.comparator) ? f.comparator : [f.comparator];
      const now = Array.isArray(out.comparator) ? out.comparator : [out.comparator];
      if (had.slice().sort().join() === now.slice().sort().join()) delete out.comparator;
    }
    return out;
  }

  // ---------------------------------------------------------------- actions

  function status(text, kind) {
    const s = $("status");
    s.textContent = text;
    s.className = kind || "";
  }

  async function act(op, extra) {
    if (state.busy || !state.view) return;
    const item = currentItem();
    const action = Object.assign({op, version: state.view.version, item: item ? item.key : null}, extra || {});
    state.busy = true;
    state.lastError = null;
    status("正在检查并保存…", "busy");
    const before = item ? items().findIndex((i) => i.key === item.key) : -1;
    try {
      const {status: code, data} = await api("/api/action", action);
      if (code === 200) {
        delete state.problems[action.item];
        let next = data.current || action.item;
        if (op === "accept" || op === "reject") next = nextOpenAfter(data, before, action.item);
        state.saved += 1;
        setView(data, next);
        status("已保存", "ok");
      } else {
        state.lastError = data.error || `HTTP ${code}`;
        const where = data.item || action.item;
        state.problems[where] = [data.error, ...(data.problems || [])].filter(Boolean);
        if (code === 409) {
          $("banner-text").textContent = data.error;
          $("banner").hidden = false;
        }
        if (where === state.current) renderProblems();  // the form keeps what the reviewer typed
        else {
          if (where && state.view && itemByKey(where)) state.current = where;
          renderSide();
        }
        status(code === 409 ? "冲突：没有保存" : "没有保存：有错误", "error");
      }
    } catch (e) {
      state.lastError = String(e);
      status("连接失败：" + e, "error");
    } finally {
      state.busy = false;
    }
  }

  function nextOpenAfter(view, index, done) {
    const list = view.items.filter((i) => i.key !== done);
    for (let k = Math.max(index, 0); k < list.length; k++) if (!list[k].reviewed) return list[k].key;
    const any = list.find((i) => !i.reviewed);
    return any ? any.key : (list[Math.min(Math.max(index, 0), list.length - 1)] || {}).key;
  }

  function go(step, openOnly) {
    const list = items();
    if (!list.length) return;
    let i = list.findIndex((x) => x.key === state.current);
    for (let n = 0; n < list.length; n++) {
      i = (i + step + list.length) % list.length;
      if (!openOnly || !list[i].reviewed) break;
    }
    select(list[i].key);
  }

  function select(key) {
    state.current = key;
    renderText();
    renderSide();
    const seg = document.querySelector("#text .cur");
    if (seg) seg.scrollIntoView({block: "center"});
  }

  // ---------------------------------------------------------------- text selection → code point offsets

  function cpAt(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement.closest("[data-s]");
      if (!seg) return null;
      return Number(seg.dataset.s) + cpLen(node.data.slice(0, offset));
    }
    const text = $("text");
    if (node === text) {
      if (offset < text.childNodes.length) return Number(text.childNodes[offset].dataset.s);
      return state.chars.length;
    }
    const seg = node.closest ? node.closest("[data-s]") : null;
    if (!seg) return null;
    return Number(seg.dataset.s) + (offset > 0 ? cpLen(seg.textContent) : 0);
  }

  function readSelection() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const r = sel.getRangeAt(0);
    const text = $("text");
    if (!text.contains(r.startContainer) || !text.contains(r.endContainer)) return null;
    let s = cpAt(r.startContainer, r.startOffset), e = cpAt(r.endContainer, r.endOffset);
    if (s === null || e === null) return null;
    if (s > e) [s, e] = [e, s];
    while (s < e && /\s/.test(state.chars[s])) s++;
    while (e > s && /\s/.test(state.chars[e - 1])) e--;
    return e > s ? [s, e] : null;
  }

  function onSelect() {
    const span = readSelection();
    state.selection = span;
    const bar = $("selbar");
    if (!span) { bar.hidden = true; return; }
    $("sel-text").textContent = `[${span[0]}, ${span[1]}] «${state.chars.slice(span[0], span[1]).join("").slice(0, 40)}»`;
    const rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
    bar.style.left = Math.max(8, rect.left) + "px";
    bar.style.top = (rect.bottom + 6) + "px";
    bar.hidden = false;
  }

  /** Viewport rectangle of the character at a code point offset (for tests and for scrolling). */
  state.rectOf = function (cp) {
    const segs = [...document.querySelectorAll("#text [data-s]")];
    let seg = null;
    for (const s of segs) { if (Number(s.dataset.s) <= cp) seg = s; else break; }
    const node = seg.firstChild;
    const chars = Array.from(node.data);
    const before = chars.slice(0, cp - Number(seg.dataset.s)).join("").length;
    const r = document.createRange();
    r.setStart(node, before);
    r.setEnd(node, before + chars[cp - Number(seg.dataset.s)].length);
    const b = r.getBoundingClientRect();
    return {x: b.left, y: b.top, width: b.width, height: b.height};
  };
  state.select = select;
  state.act = act;

  function moveSpan() {
    if (!state.selection) { status("先用鼠标在正文里选中文字", "error"); return; }
    const span = state.selection;
    clearSelection();
    act("span", {span});
  }
  function addFigure() {
    if (!state.selection) { status("先用鼠标在正文里选中漏掉的数字", "error"); return; }
    const span = state.selection;
    clearSelection();
    act("add", {span, item: null});
  }
  function clearSelection() {
    state.selection = null;
    $("selbar").hidden = true;
    const sel = window.getSelection();
    if (sel) sel.removeAllRanges();
  }
  function saveForm() {
    const item = currentItem();
    if (!item) return;
    const fields = formFields();
    if (!Object.keys(fields).length) { status("没有改动", ""); return; }
    act("edit", {fields});
  }

  // ---------------------------------------------------------------- events

  function inForm(e) { return e.target.closest && e.target.closest("#form"); }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if ($("help").open) return;
    if (inForm(e)) {
      if (e.key === "Enter" && e.target.tagName !== "TEXTAREA") { e.preventDefault(); saveForm(); }
      else if (e.key === "Escape") { e.preventDefault(); e.target.blur(); renderForm(); }
      return;
    }
    const keys = {
      j: () => go(1), ArrowDown: () => go(1), k: () => go(-1), ArrowUp: () => go(-1),
      J: () => go(1, true), K: () => go(-1, true),
      a: () => act("accept"), x: () => act("reject"), Delete: () => act("reject"), s: () => act("split"),
      m: moveSpan, n: addFigure, "?": () => $("help").showModal(), Escape: clearSelection,
      e: () => { const f = $("form").querySelector("input, select"); if (f) f.focus(); },
      Enter: saveForm,
    };
    const fn = keys[e.key];
    if (fn) { e.preventDefault(); fn(); }
  });

  document.addEventListener("DOMContentLoaded", async () => {
    $("text").addEventListener("mouseup", () => setTimeout(onSelect, 0));
    $("text").addEventListener("click", (e) => {
      if (!window.getSelection().isCollapsed) return;
      const seg = e.target.closest("[data-s]");
      if (!seg || !seg.classList.contains("hl")) return;
      const s = Number(seg.dataset.s);
      const covering = state.view.items.filter((i) => i.span[0] <= s && s < i.span[1]);
      covering.sort((a, b) => (RANK[a.kind] - RANK[b.kind]) || ((a.span[1] - a.span[0]) - (b.span[1] - b.span[0])));
      if (covering.length) select(covering[0].key);
    });
    $("prev").addEventListener("click", () => go(-1));
    $("next").addEventListener("click", () => go(1));
    $("accept").addEventListener("click", () => act("accept"));
    $("reject").addEventListener("click", () => act("reject"));
    $("save").addEventListener("click", saveForm);
    $("split").addEventListener("click", () => act("split"));
    $("sel-move").addEventListener("click", moveSpan);
    $("sel-add").addEventListener("click", addFigure);
    $("help-btn").addEventListener("click", () => $("help").showModal());
    $("only-open").addEventListener("change", (e) => { state.onlyOpen = e.target.checked; renderSide(); });
    $("form").addEventListener("submit", (e) => { e.preventDefault(); saveForm(); });
    $("reload").addEventListener("click", async () => {
      const {status: code, data} = await api("/api/reload", {});
      if (code === 200) {
        $("banner").hidden = true;
        state.problems = {};
        setView(data, state.current);
        status("已重新载入", "ok");
      }
    });
    const {status: code, data} = await api("/api/state");
    if (code !== 200) { status("载入失败：" + (data.error || code), "error"); return; }
    setView(data, null);
    status("就绪", "ok");
  });
})();
