/* kg viz: filters, search, legend and the details panel around a vis-network graph.
 * Every label is data: it reaches the page as JSON and the DOM through textContent, never as HTML. */
(function () {
  "use strict";

  function readJson(id) { return JSON.parse(document.getElementById(id).textContent); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function values(text) { return text ? String(text).split(" ").filter(Boolean) : []; }
  // xsd:decimal's canonical form always has a fraction ("475.0"); show it as written in reports ("475")
  function number(v) { return v === undefined ? v : String(v).replace(/\.0+$/, ""); }

  var startMs = performance.now();
  var nodeItems = readJson("kg-nodes");
  var edgeItems = readJson("kg-edges");
  var options = readJson("kg-options");
  var meta = readJson("kg-meta");
  var ui = readJson("kg-ui");

  var nodes = new vis.DataSet(nodeItems);
  var edges = new vis.DataSet(edgeItems);
  var container = document.getElementById("kg-network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);

  // adjacency: outgoing and incoming links of every node
  var out = {}, inc = {};
  nodeItems.forEach(function (n) { out[n.id] = []; inc[n.id] = []; });
  edgeItems.forEach(function (e) {
    out[e.from].push({ rel: e.relation, node: e.to });
    inc[e.to].push({ rel: e.relation, node: e.from });
  });

  var state = {
    stable: false, startMs: startMs, readyMs: null, stabilizedMs: null, iterations: null,
    year: "", district: "", hiddenClasses: {}, visibleNodes: nodeItems.length, visibleEdges: edgeItems.length
  };

  // ---- stabilisation: capped in the options, then physics is switched off so the picture stops moving
  var progress = document.getElementById("kg-progress");
  network.on("stabilizationProgress", function (p) {
    progress.textContent = Math.round(100 * p.iterations / p.total) + "%";
  });
  function frozen(params) {
    if (state.stable) return;
    network.setOptions({ physics: { enabled: false } });
    state.stabilizedMs = performance.now();
    state.iterations = params && params.iterations !== undefined ? params.iterations : null;
    document.getElementById("kg-loading").classList.add("kg-done");
    network.once("afterDrawing", function () {
      state.readyMs = performance.now();
      state.stable = true;
    });
    network.redraw();
  }
  network.once("stabilizationIterationsDone", frozen);
  network.once("stabilized", frozen);
  if (!options.physics || options.physics.enabled === false) {  // big graphs: the starting layout is final
    setTimeout(function () { network.fit(); frozen(null); }, 0);
  }

  // ---- legend (class filter)
  var legend = document.getElementById("kg-legend");
  ui.legend.forEach(function (c) {
    var li = el("li"), label = el("label"), box = el("input");
    box.type = "checkbox"; box.checked = true; box.dataset.cls = c.key;
    box.addEventListener("change", function () {
      if (box.checked) delete state.hiddenClasses[c.key]; else state.hiddenClasses[c.key] = true;
      applyFilters(true);
    });
    var sw = el("span", null, "kg-swatch kg-" + c.shape);
    sw.style.background = c.color;
    label.title = c.en;
    label.append(box, sw, el("span", c.zh + " " + c.en), el("span", "(" + c.count + ")", "kg-count"));
    li.appendChild(label);
    legend.appendChild(li);
  });

  // ---- year and district selects
  var yearSel = document.getElementById("kg-year"), distSel = document.getElementById("kg-district");
  ui.years.forEach(function (y) { var o = el("option", y + "年"); o.value = y; yearSel.appendChild(o); });
  ui.districts.forEach(function (d) { var o = el("option", d); o.value = d; distSel.appendChild(o); });
  yearSel.addEventListener("change", function () { state.year = yearSel.value; applyFilters(true); });
  distSel.addEventListener("change", function () { state.district = distSel.value; applyFilters(true); });

  // Same rule as kg.viz._scope_keep: nodes whose scope matches every test, plus places and years with no
  // value for a tested attribute (a year has no district) that link to a matching node.
  function scopeKeep(tests) {
    var primary = {}, compatible = [], keep = {};
    nodeItems.forEach(function (n) {
      var m = meta[n.id], ok = true, full = true;
      tests.forEach(function (t) {
        var vs = values(m[t[0]]);
        if (!vs.length) { full = false; ok = ok && ui.contextClasses.indexOf(m["class"]) >= 0; }
        else if (vs.indexOf(t[1]) < 0) ok = false;
      });
      if (ok && full) { primary[n.id] = true; keep[n.id] = true; }
      else if (ok) compatible.push(n.id);
    });
    compatible.forEach(function (id) {
      var linked = out[id].some(function (l) { return primary[l.node]; }) ||
                   inc[id].some(function (l) { return primary[l.node]; });
      if (linked) keep[id] = true;
    });
    return keep;
  }

  var hiddenNodes = {}, hiddenEdges = {};  // what the DataSets currently say, without asking them
  function applyFilters(fit) {
    var tests = [];
    if (state.year) tests.push(["years", state.year]);
    if (state.district) tests.push(["districts", state.district]);
    var keep = tests.length ? scopeKeep(tests) : null;
    var nodeChanges = [], edgeChanges = [], shown = {}, nVisible = 0, eVisible = 0;
    nodeItems.forEach(function (n) {
      var visible = (!keep || keep[n.id] === true) && !state.hiddenClasses[meta[n.id]["class"]];
      if (visible) { shown[n.id] = true; nVisible++; }
      if (!hiddenNodes[n.id] === !visible) { hiddenNodes[n.id] = !visible; nodeChanges.push({ id: n.id, hidden: !visible }); }
    });
    edgeItems.forEach(function (e) {
      var visible = shown[e.from] === true && shown[e.to] === true;
      if (visible) eVisible++;
      if (!hiddenEdges[e.id] === !visible) { hiddenEdges[e.id] = !visible; edgeChanges.push({ id: e.id, hidden: !visible }); }
    });
    if (nodeChanges.length) nodes.update(nodeChanges);
    if (edgeChanges.length) edges.update(edgeChanges);
    state.visibleNodes = nVisible; state.visibleEdges = eVisible;
    setStatus("显示 " + nVisible + " / " + nodeItems.length + " 个节点，" + eVisible + " / " + edgeItems.length + " 条边");
    if (fit && nVisible) network.fit({ nodes: Object.keys(shown), animation: { duration: 300 } });
  }

  var status = document.getElementById("kg-status");
  function setStatus(text, warn) { status.textContent = text; status.classList.toggle("kg-warn", !!warn); }

  function reset() {
    state.year = ""; state.district = ""; state.hiddenClasses = {};
    yearSel.value = ""; distSel.value = "";
    legend.querySelectorAll("input").forEach(function (b) { b.checked = true; });
    applyFilters(true);
  }
  document.getElementById("kg-reset").addEventListener("click", reset);

  // ---- search: exact label, then prefix, then substring (zh, en, aliases, IRI)
  var datalist = document.getElementById("kg-labels"), seenLabel = {};
  nodeItems.forEach(function (n) {
    [meta[n.id].label_zh, meta[n.id].label_en].forEach(function (l) {
      if (l && !seenLabel[l]) { seenLabel[l] = true; var o = el("option"); o.value = l; datalist.appendChild(o); }
    });
  });
  function keys(id) {
    var m = meta[id];
    return [m.label_zh, m.label_en, m.iri].concat(values(m.aliases)).filter(Boolean).map(function (k) {
      return String(k).toLowerCase();
    });
  }
  function find(query) {
    var q = query.trim().toLowerCase();
    if (!q) return null;
    var tests = [
      function (k) { return k === q; },
      function (k) { return k.indexOf(q) === 0; },
      function (k) { return k.indexOf(q) >= 0; }
    ];
    for (var t = 0; t < tests.length; t++) {
      var hidden = null;
      for (var i = 0; i < nodeItems.length; i++) {
        var id = nodeItems[i].id;
        if (keys(id).some(tests[t])) {
          if (!hiddenNodes[id]) return id;
          if (hidden === null) hidden = id;
        }
      }
      if (hidden !== null) return hidden;
    }
    return null;
  }
  function focusNode(id) {
    if (hiddenNodes[id]) {
      reset();
      setStatus("已清除筛选以显示该节点 (filters cleared to show it)");
    }
    network.selectNodes([id]);
    network.focus(id, { scale: 1.4, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    showDetails(id);
  }
  function search() {
    var q = document.getElementById("kg-search").value, id = find(q);
    if (id === null) { setStatus("未找到 “" + q + "” (not found)", true); return null; }
    focusNode(id);
    return id;
  }
  document.getElementById("kg-search-go").addEventListener("click", search);
  document.getElementById("kg-search").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); search(); }
  });

  // ---- details panel
  var panel = document.getElementById("kg-details");
  function nodeLink(id) {
    var b = el("button", meta[id].label_zh, "kg-link");
    b.type = "button"; b.title = meta[id].label_en || meta[id].iri;
    b.addEventListener("click", function () { focusNode(id); });
    return b;
  }
  function row(dl, name, value) {
    if (value === undefined || value === null || value === "") return;
    dl.append(el("dt", name), el("dd", value));
  }
  function statementsTable(ids) {
    var table = el("table"), head = el("tr");
    ["数值", "单位", "比较", "年度", "原文写法"].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    ids.forEach(function (id) {
      var m = meta[id], tr = el("tr");
      [number(m.value), m.unit, m.comparator, m.year, m.as_written].forEach(function (v) { tr.appendChild(el("td", v)); });
      tr.title = (ui.classes[m["class"]] || [m["class"]])[0] + (m.note ? " · " + m.note : "");
      table.appendChild(tr);
    });
    return table;
  }
  function showDetails(id) {
    var m = meta[id], cls = ui.classes[m["class"]] || [m["class"], m["class"]];
    panel.replaceChildren();
    panel.appendChild(el("h2", m.label_zh));
    if (m.label_en) panel.appendChild(el("p", m.label_en, "kg-en"));
    var badge = el("span", cls[0] + " " + cls[1], "kg-class");
    var style = ui.legend.filter(function (c) { return c.key === m["class"]; })[0];
    if (style) badge.style.background = style.color;
    panel.appendChild(badge);
    var dl = el("dl");
    row(dl, "IRI", m.iri);
    row(dl, "年度", m.year !== undefined ? m.year : values(m.years).join("、"));
    row(dl, "区县", values(m.districts).join("、"));
    row(dl, "别名", values(m.aliases).join("、"));
    row(dl, "序号", m.ordinal);
    row(dl, "类别", m.category ? m.category + (m.category_en ? " (" + m.category_en + ")" : "") : "");
    row(dl, "设施类型", m.facility_type);
    if (m.value !== undefined) {
      row(dl, "数值", number(m.value));
      row(dl, "单位", m.unit);
      row(dl, "比较", m.comparator);
      row(dl, "原文写法", m.as_written);
      row(dl, "备注", m.note);
    }
    panel.appendChild(dl);

    var statements = inc[id].filter(function (l) { return l.rel === "measure"; }).map(function (l) { return l.node; });
    if (statements.length) {
      panel.appendChild(el("h3", "量化表述 Targets (" + statements.length + ")"));
      panel.appendChild(statementsTable(statements));
    }
    if (m.source_doc) {
      panel.appendChild(el("h3", "来源 Source"));
      var src = el("dl");
      row(src, "文件", (m.source_title ? m.source_title + " · " : "") + m.source_doc);
      if (m.start !== undefined) row(src, "偏移", "[" + m.start + ", " + m.end + ")");
      if (m.mentions > 1) row(src, "提及", m.mentions + " 处");
      panel.appendChild(src);
      if (m.quote) panel.appendChild(el("blockquote", m.quote));
    }
    [["→", out[id]], ["←", inc[id]]].forEach(function (pair) {
      var groups = {};
      pair[1].forEach(function (l) { (groups[l.rel] = groups[l.rel] || []).push(l.node); });
      Object.keys(groups).sort().forEach(function (rel) {
        var names = ui.relations[rel] || [rel, rel], list = groups[rel];
        panel.appendChild(el("h3", pair[0] + " " + names[0] + " " + names[1] + " (" + list.length + ")"));
        var ul = el("ul");
        list.slice(0, 40).forEach(function (n) { var li = el("li"); li.appendChild(nodeLink(n)); ul.appendChild(li); });
        if (list.length > 40) ul.appendChild(el("li", "… " + (list.length - 40)));
        panel.appendChild(ul);
      });
    });
  }
  network.on("selectNode", function (p) { if (p.nodes.length) showDetails(p.nodes[0]); });

  applyFilters(false);
  window.kgViz = {
    network: network, nodes: nodes, edges: edges, meta: meta, state: state,
    applyFilters: applyFilters, scopeKeep: scopeKeep, find: find, search: search, focusNode: focusNode, reset: reset
  };
})();
