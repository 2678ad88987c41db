/* kg viz: the graph page. A small canvas renderer of kg's own (no library): a tree layout per view that
 * gives every label its own row, labels by zoom level without overlaps, clusters at low zoom, filters with
 * counts, search that lists every match, in-page goal / neighbourhood views, a reading guide, and a chart of
 * a category's targets and outcomes over the years.
 * Every label is data: it reaches the page as JSON and the DOM through textContent, never as HTML. */
(function () {
  "use strict";

  var startMs = performance.now();
  var DATA = JSON.parse(document.getElementById("kg-data").textContent);
  var N = DATA.nodes, UI = DATA.ui, n = N.length;
  var CLS = {};
  UI.classes.forEach(function (c, i) { c.rank = i; CLS[c.key] = c; });
  var CONTEXT = set(UI.contextClasses), HUB = set(UI.hubClasses), STATEMENT = set(UI.statementClasses);
  var LEVEL_CLASSES = { Country: 1, Province: 1, City: 1, District: 1 };
  var FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var COLW = 210, ROWH = 22, HEADER = 56, GAP = 40;

  function set(list) { var o = {}; list.forEach(function (k) { o[k] = true; }); return o; }
  function values(text) { return text ? String(text).split(" ").filter(Boolean) : []; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function $(id) { return document.getElementById(id); }
  // xsd:decimal's canonical form always has a fraction ("475.0"); show it as written in reports ("475")
  function number(v) { return v === undefined ? "" : String(v).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1"); }

  // ---- the graph: ids, adjacency, scope values
  var index = {};
  N.forEach(function (a, i) { index[a.iri] = i; });
  var out = [], inc = [];
  for (var i = 0; i < n; i++) { out.push([]); inc.push([]); }
  DATA.edges.forEach(function (e) { out[e[0]].push({ rel: e[2], node: e[1] }); inc[e[1]].push({ rel: e[2], node: e[0] }); });
  var scopeValues = N.map(function (a) {
    return { years: values(a.years), districts: values(a.districts), jurisdictions: values(a.jurisdictions), levels: values(a.levels) };
  });
  var searchText = N.map(function (a) {
    return [a.label_zh, a.label_en, a.iri, a.aliases, a.category, a.category_en, a.as_written, number(a.value)]
      .filter(Boolean).join("\n").toLowerCase();
  });
  function jurisName(iri) { var j = index[iri]; return j === undefined ? iri.split("/").pop() : N[j].label_zh; }
  function clsName(key) { var c = CLS[key]; return c ? c.zh : key; }
  var outBy = [], incBy = [], NONE = [];
  for (var b0 = 0; b0 < n; b0++) { outBy.push({}); incBy.push({}); }
  DATA.edges.forEach(function (e) {
    (outBy[e[0]][e[2]] = outBy[e[0]][e[2]] || []).push(e[1]);
    (incBy[e[1]][e[2]] = incBy[e[1]][e[2]] || []).push(e[0]);
  });
  function linked(i, rel) { return outBy[i][rel] || NONE; }
  function linkedIn(i, rel) { return incBy[i][rel] || NONE; }

  var state = {
    stable: false, startMs: startMs, readyMs: null, view: "year", year: "", district: "", juris: "", level: "",
    hiddenClasses: {}, scope: null, selected: -1, matches: [], matchPos: -1, query: "",
    visibleNodes: 0, visibleEdges: 0, lastDrawMs: 0, lastFilterMs: 0, animating: false, lastAnimation: null,
    clustered: false, chart: ""
  };
  var visible = new Uint8Array(n);

  // ---- filters. Same rule as kg.viz._scope_keep: nodes whose scope matches every test, plus places and
  // years with no value for a tested attribute (a year has no district) that link to a matching node.
  function scopeKeep(tests, base) {
    var primary = new Uint8Array(n), keep = new Uint8Array(n), compatible = [];
    for (var i = 0; i < n; i++) {
      if (base && !base[i]) continue;
      var ok = true, full = true, sv = scopeValues[i];
      for (var t = 0; t < tests.length && ok; t++) {
        var vs = sv[tests[t][0]];
        if (!vs.length) { full = false; ok = !!CONTEXT[N[i]["class"]]; } else if (vs.indexOf(tests[t][1]) < 0) ok = false;
      }
      if (ok && full) { primary[i] = 1; keep[i] = 1; } else if (ok) compatible.push(i);
    }
    compatible.forEach(function (i) {
      if (out[i].some(function (l) { return primary[l.node]; }) || inc[i].some(function (l) { return primary[l.node]; })) keep[i] = 1;
    });
    return keep;
  }
  // Same rules as kg.viz.filter_graph's goal and focus views.
  function withContext(core) {
    var keep = core.slice();
    for (var i = 0; i < n; i++) if (core[i]) out[i].forEach(function (l) { if (CONTEXT[N[l.node]["class"]]) keep[l.node] = 1; });
    return keep;
  }
  function goalScope(root) {
    var core = new Uint8Array(n), stack = [root], goals = [];
    core[root] = 1;
    while (stack.length) {
      var g = stack.pop(); goals.push(g);
      linkedIn(g, "subGoalOf").forEach(function (c) { if (!core[c] && N[c]["class"] === "Goal") { core[c] = 1; stack.push(c); } });
    }
    goals.forEach(function (g) {
      linkedIn(g, "underGoal").forEach(function (m) {
        if (N[m]["class"] !== "Measure") return;
        core[m] = 1;
        linkedIn(m, "measure").forEach(function (s) { if (STATEMENT[N[s]["class"]]) core[s] = 1; });
      });
    });
    return withContext(core);
  }
  function focusScope(centre, depth) {
    var seen = new Uint8Array(n), frontier = [centre];
    seen[centre] = 1;
    for (var d = 0; d < depth; d++) {
      var next = [];
      frontier.forEach(function (x) {
        if (x !== centre && HUB[N[x]["class"]]) return;
        out[x].concat(inc[x]).forEach(function (l) { if (!seen[l.node]) { seen[l.node] = 1; next.push(l.node); } });
      });
      frontier = next;
    }
    return seen;
  }
  var scopeCache = { key: null, keep: null };
  function scopeSet() {
    var s = state.scope;
    if (!s) return null;
    var key = s.kind + s.node + ":" + s.depth;
    if (scopeCache.key !== key) scopeCache = { key: key, keep: s.kind === "goal" ? goalScope(s.node) : focusScope(s.node, s.depth) };
    return scopeCache.keep;
  }
  var FILTERS = [["year", "years"], ["district", "districts"], ["juris", "jurisdictions"], ["level", "levels"]];
  function testsOf(st, skip) {
    return FILTERS.filter(function (f) { return f[0] !== skip && st[f[0]]; }).map(function (f) { return [f[1], st[f[0]]]; });
  }
  // the nodes shown for a filter state (the class legend last, so its counts can ignore it)
  function keepFor(st, skip, ignoreClasses) {
    var base = scopeSet(), tests = testsOf(st, skip);
    var keep = tests.length ? scopeKeep(tests, base) : (base ? base.slice() : new Uint8Array(n).fill(1));
    if (!ignoreClasses) for (var i = 0; i < n; i++) if (keep[i] && st.hiddenClasses[N[i]["class"]]) keep[i] = 0;
    return keep;
  }
  function count(keep) { var c = 0; for (var i = 0; i < n; i++) c += keep[i]; return c; }

  // ---- layout: per view, each node's parent in a tree; blocks (the subtrees under a root) drawn left to
  // right with one row per leaf, so no two labels share a row; blocks packed in columns, roots as headers.
  var X = new Float64Array(n), Y = new Float64Array(n), R = new Float64Array(n), treeParent = new Int32Array(n);
  var blockOf = new Int32Array(n), blocks = [], headers = [], bounds = { x0: 0, y0: 0, x1: 1, y1: 1 };
  function radius(i) { var c = CLS[N[i]["class"]]; return Math.max(3.5, (c ? c.size : 10) * 0.5); }
  function firstVisible(list) { for (var k = 0; k < list.length; k++) if (visible[list[k]]) return list[k]; return -1; }
  function candidates(i, view) {
    var a = N[i], c = a["class"];
    if (STATEMENT[c]) return linked(i, "measure").concat(linked(i, "year"));
    if (c === "Measure") {
      var d = view === "jurisdiction" ? linked(i, "district") : [];
      return d.concat(linked(i, "underGoal"), view === "goal" ? [] : linked(i, "year"));
    }
    if (c === "Goal") {
      var up = linked(i, "subGoalOf").slice();
      if (view === "year") up = up.concat(linked(i, "year"));
      if (view === "jurisdiction") values(a.jurisdictions).forEach(function (j) { if (index[j] !== undefined) up.push(index[j]); });
      return up;
    }
    if (c === "Facility") return view === "jurisdiction" ? linked(i, "district").concat(linkedIn(i, "facility"))
      : linkedIn(i, "facility").concat(linked(i, "district"));
    if (LEVEL_CLASSES[c]) return linked(i, "sfWithin").concat(linked(i, "inCity"));
    return [];
  }
  function computeLayout() {
    var view = state.view, i, k;
    treeParent.fill(-1);
    var raw = new Int32Array(n).fill(-1);
    for (i = 0; i < n; i++) if (visible[i]) {
      // the first candidate that is shown, else the first shown one up the chain (a hidden measure's goal)
      var cands = candidates(i, view), p = firstVisible(cands);
      if (p < 0 && cands.length) {  // breadth first up the candidates, a few dozen nodes at most
        var queue = cands.slice(), seen = {}, qi = 0;
        seen[i] = 1;
        while (qi < queue.length && qi < 64) {
          var w = queue[qi++];
          if (seen[w]) continue;
          seen[w] = 1;
          if (visible[w]) { p = w; break; }
          candidates(w, view).forEach(function (c) { if (!seen[c]) queue.push(c); });
        }
      }
      raw[i] = p;
    }
    for (i = 0; i < n; i++) if (visible[i]) {  // cut a chain that loops back (malformed data) at i
      var w = raw[i], steps = 0;
      while (w >= 0 && w !== i && steps++ < n) w = raw[w];
      treeParent[i] = w === i ? -1 : raw[i];
    }
    var kids = [];
    for (i = 0; i < n; i++) kids.push([]);
    var roots = [];
    for (i = 0; i < n; i++) if (visible[i]) { if (treeParent[i] >= 0) kids[treeParent[i]].push(i); else roots.push(i); }
    function order(a, b) {
      var ca = CLS[N[a]["class"]].rank, cb = CLS[N[b]["class"]].rank;
      if (ca !== cb) return ca - cb;
      var oa = N[a].ordinal === undefined ? 1e9 : N[a].ordinal, ob = N[b].ordinal === undefined ? 1e9 : N[b].ordinal;
      return oa !== ob ? oa - ob : a - b;
    }
    kids.forEach(function (l) { if (l.length > 1) l.sort(order); });
    var rootRank = view === "jurisdiction" ? { Country: 0, Province: 1, City: 2, District: 3, Year: 5 } : { Year: 0, Country: 2, Province: 3, City: 4, District: 5 };
    roots.sort(function (a, b) {
      var ra = rootRank[N[a]["class"]], rb = rootRank[N[b]["class"]];
      ra = ra === undefined ? 9 : ra; rb = rb === undefined ? 9 : rb;
      return ra !== rb ? ra - rb : (N[a].year || 0) - (N[b].year || 0) || order(a, b);
    });
    // one block per subtree: rows for leaves, x by depth. A subtree with too many leaves is split: its
    // root becomes a one-row block followed by the blocks of its children, so columns stay short.
    var leaves = new Int32Array(n), post = [];
    roots.forEach(function (r) {
      var stack = [r];
      while (stack.length) { var x = stack.pop(); post.push(x); for (var c = 0; c < kids[x].length; c++) stack.push(kids[x][c]); }
    });
    for (k = post.length - 1; k >= 0; k--) {
      var x = post[k], sum = 0;
      for (var c = 0; c < kids[x].length; c++) sum += leaves[kids[x][c]];
      leaves[x] = Math.max(1, sum);
    }
    var maxRows = Math.max(24, Math.round(Math.sqrt(state.visibleNodes) * 1.2));
    blockOf.fill(-1);
    function block(root) {
      var b = { head: root, nodes: [], rows: 0, depth: 0, matches: 0 }, stack = [[root, 0]], order2 = [];
      while (stack.length) {
        var top = stack.pop(), x = top[0], d = top[1];
        b.nodes.push(x); order2.push(x);
        X[x] = d * COLW; b.depth = Math.max(b.depth, d);
        for (var c = kids[x].length - 1; c >= 0; c--) stack.push([kids[x][c], d + 1]);
        if (!kids[x].length) Y[x] = (b.rows++) * ROWH;
      }
      for (var q = order2.length - 1; q >= 0; q--) {
        var x2 = order2[q], ks = kids[x2];
        if (ks.length) Y[x2] = (Y[ks[0]] + Y[ks[ks.length - 1]]) / 2;
      }
      b.w = (b.depth + 1) * COLW; b.h = Math.max(1, b.rows) * ROWH;
      return b;
    }
    function blocksOf(root, list) {
      if (leaves[root] <= maxRows || !kids[root].length) { list.push(block(root)); return list; }
      X[root] = 0; Y[root] = 0;
      list.push({ head: root, nodes: [root], rows: 1, depth: 0, matches: 0, w: COLW, h: ROWH, split: true });
      kids[root].forEach(function (c) { blocksOf(c, list); });
      return list;
    }
    var regions = [], misc = { header: -1, blocks: [] };
    roots.forEach(function (r) {
      if (kids[r].length && (HUB[N[r]["class"]] || N[r]["class"] === "District")) {
        var list = [];
        kids[r].forEach(function (c) { blocksOf(c, list); });
        regions.push({ header: r, blocks: list });
      } else {
        blocksOf(r, misc.blocks);
      }
    });
    if (misc.blocks.length) regions.push(misc);
    var area = 0, tallest = ROWH;
    regions.forEach(function (rg) { rg.blocks.forEach(function (b) { area += (b.w + GAP) * (b.h + GAP); tallest = Math.max(tallest, b.h); }); });
    var hmax = Math.max(tallest, Math.sqrt(area / 1.7));
    var x0 = 0, y0 = 0, rowH = 0, wlimit = Math.max(hmax * 1.9, 1);
    blocks = []; headers = [];
    regions.forEach(function (rg) {
      // columns of blocks, each column at most hmax tall
      var cols = [], col = null;
      rg.blocks.forEach(function (b) {
        if (!col || (col.h + b.h > hmax && col.blocks.length)) { col = { blocks: [], h: 0, w: 0 }; cols.push(col); }
        b.cy = col.h; col.blocks.push(b); col.h += b.h + GAP; col.w = Math.max(col.w, b.w);
      });
      var rw = cols.reduce(function (s, c) { return s + c.w + GAP; }, 0), rh = HEADER + Math.max.apply(null, cols.map(function (c) { return c.h; }).concat([0]));
      if (rg.header < 0 && rw > wlimit) rw = rw;  // the loose nodes: one region however wide
      if (x0 > 0 && x0 + rw > wlimit * 1.05) { x0 = 0; y0 += rowH + GAP * 2; rowH = 0; }
      var cx = x0;
      cols.forEach(function (c) {
        c.blocks.forEach(function (b) {
          b.x = cx; b.y = y0 + HEADER + b.cy;
          b.nodes.forEach(function (x) { X[x] += b.x; Y[x] += b.y; blockOf[x] = blocks.length; });
          blocks.push(b);
        });
        cx += c.w + GAP;
      });
      if (rg.header >= 0) {
        X[rg.header] = x0; Y[rg.header] = y0 + 10;
        headers.push(rg.header);
      }
      x0 += rw + GAP * 2; rowH = Math.max(rowH, rh);
    });
    for (i = 0; i < n; i++) R[i] = radius(i);
    var bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
    for (i = 0; i < n; i++) if (visible[i]) {
      bx0 = Math.min(bx0, X[i] - R[i]); by0 = Math.min(by0, Y[i] - 16); bx1 = Math.max(bx1, X[i] + COLW * 0.9); by1 = Math.max(by1, Y[i] + 16);
    }
    bounds = isFinite(bx0) ? { x0: bx0, y0: by0, x1: bx1, y1: by1 } : { x0: 0, y0: 0, x1: 1, y1: 1 };
    markBlockMatches();
  }
  function markBlockMatches() {
    var m = new Uint8Array(n);
    state.matches.forEach(function (i) { m[i] = 1; });
    blocks.forEach(function (b) { b.matches = 0; b.nodes.forEach(function (x) { b.matches += m[x]; }); });
    matchMask = m;
  }
  var matchMask = new Uint8Array(n);

  // ---- drawing
  var canvas = $("kg-canvas"), ctx = canvas.getContext("2d"), wrap = $("kg-network");
  var view = { k: 1, tx: 0, ty: 0 }, W = 1, H = 1, dpr = 1;
  var labelBoxes = [], drawPending = false;
  function resize() {
    var r = wrap.getBoundingClientRect();
    dpr = Math.min(window.devicePixelRatio || 1, 2);
    W = Math.max(1, r.width); H = Math.max(1, r.height);
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    canvas.style.width = W + "px"; canvas.style.height = H + "px";
  }
  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(function () { drawPending = false; draw(); });
  }
  function shapePath(shape, x, y, r) {
    switch (shape) {
      case "diamond": ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.2, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r * 1.2, y); ctx.closePath(); break;
      case "square": ctx.rect(x - r, y - r, 2 * r, 2 * r); break;
      case "triangle": ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.1, y + r * 0.8); ctx.lineTo(x - r * 1.1, y + r * 0.8); ctx.closePath(); break;
      case "triangleDown": ctx.moveTo(x, y + r * 1.2); ctx.lineTo(x + r * 1.1, y - r * 0.8); ctx.lineTo(x - r * 1.1, y - r * 0.8); ctx.closePath(); break;
      case "hexagon": for (var a = 0; a < 6; a++) { var t = Math.PI / 3 * a; if (a) ctx.lineTo(x + r * Math.cos(t), y + r * Math.sin(t)); else ctx.moveTo(x + r, y); } ctx.closePath(); break;
      case "star": for (var s = 0; s < 10; s++) { var u = Math.PI / 5 * s - Math.PI / 2, q = s % 2 ? r * 0.45 : r * 1.2; if (s) ctx.lineTo(x + q * Math.cos(u), y + q * Math.sin(u)); else ctx.moveTo(x + q * Math.cos(u), y + q * Math.sin(u)); } ctx.closePath(); break;
      default: ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, Math.PI * 2);
    }
  }
  function sx(x) { return x * view.k + view.tx; }
  function sy(y) { return y * view.k + view.ty; }
  function fitText(text, maxW) {
    if (ctx.measureText(text).width <= maxW) return text;
    var lo = 0, hi = text.length;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (ctx.measureText(text.slice(0, mid) + "…").width <= maxW) lo = mid; else hi = mid - 1; }
    return lo ? text.slice(0, lo) + "…" : "";
  }
  // a label is drawn only where no earlier (more important) label is: a coarse occupancy grid on screen
  var grid = null, GC = 6;
  function claim(x0, y0, x1, y1) {
    var gx0 = Math.max(0, Math.floor(x0 / GC)), gx1 = Math.min(grid.w - 1, Math.floor(x1 / GC));
    var gy0 = Math.max(0, Math.floor(y0 / GC)), gy1 = Math.min(grid.h - 1, Math.floor(y1 / GC)), gx, gy;
    if (gx0 > gx1 || gy0 > gy1) return false;
    for (gy = gy0; gy <= gy1; gy++) for (gx = gx0; gx <= gx1; gx++) if (grid.cells[gy * grid.w + gx]) return false;
    for (gy = gy0; gy <= gy1; gy++) for (gx = gx0; gx <= gx1; gx++) grid.cells[gy * grid.w + gx] = 1;
    return true;
  }
  function label(i, text, px, font, maxW, weight) {
    ctx.font = (weight || "") + " " + px + "px " + FONT;
    var t = fitText(text, maxW);
    if (!t) return false;
    var x = sx(X[i]) + R[i] * view.k + 4, y = sy(Y[i]), w = ctx.measureText(t).width;
    if (!claim(x, y - px * 0.6, x + w, y + px * 0.6)) return false;
    ctx.fillStyle = "rgba(255,255,255,0.8)";
    ctx.fillRect(x - 1, y - px * 0.6, w + 2, px * 1.2);
    ctx.fillStyle = font;
    ctx.fillText(t, x, y);
    labelBoxes.push([i, x - R[i] * view.k - 6, y - px * 0.6, x + w, y + px * 0.6, x]);
    return true;
  }
  function draw() {
    var t0 = performance.now();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    labelBoxes = [];
    grid = { w: Math.ceil(W / GC) + 1, h: Math.ceil(H / GC) + 1 };
    grid.cells = new Uint8Array(grid.w * grid.h);
    var k = view.k, wx0 = -view.tx / k, wy0 = -view.ty / k, wx1 = (W - view.tx) / k, wy1 = (H - view.ty) / k;
    var clustered = ROWH * k < 9 && state.visibleNodes > 60;
    state.clustered = clustered;
    ctx.textBaseline = "middle";
    var i, b;
    var inView = function (x, y, m) { return x >= wx0 - m && x <= wx1 + m && y >= wy0 - m && y <= wy1 + m; };
    // edges of the layout tree: elbow connectors parent → child
    ctx.lineWidth = 1;
    ctx.strokeStyle = clustered ? "rgba(120,120,120,0.25)" : "#c4c4c4";
    ctx.beginPath();
    for (i = 0; i < n; i++) {
      if (!visible[i] || treeParent[i] < 0) continue;
      var p = treeParent[i], px = X[p], py = Y[p], cx = X[i], cy = Y[i];
      if (Math.max(px, cx) < wx0 || Math.min(px, cx) > wx1 || Math.max(py, cy) < wy0 || Math.min(py, cy) > wy1) continue;
      // within a block an elbow to the right; to the blocks of a header or a split node, a bracket on their left
      var mx = blockOf[p] === blockOf[i] ? px + COLW * 0.45 : (cx > px ? cx - 12 : px - 12);
      ctx.moveTo(sx(px), sy(py)); ctx.lineTo(sx(mx), sy(py)); ctx.lineTo(sx(mx), sy(cy)); ctx.lineTo(sx(cx), sy(cy));
    }
    ctx.stroke();
    // the selected node's other links (district, facility, year …), with the relation's name
    if (state.selected >= 0 && visible[state.selected]) {
      var s = state.selected;
      ctx.strokeStyle = "#555"; ctx.lineWidth = 1.5; ctx.beginPath();
      var rels = [];
      out[s].concat(inc[s]).forEach(function (l) {
        if (!visible[l.node] || treeParent[s] === l.node || treeParent[l.node] === s) return;
        ctx.moveTo(sx(X[s]), sy(Y[s])); ctx.lineTo(sx(X[l.node]), sy(Y[l.node])); rels.push(l);
      });
      ctx.stroke();
      ctx.font = "11px " + FONT; ctx.fillStyle = "#333";
      rels.slice(0, 30).forEach(function (l) {
        var r = UI.relations[l.rel], t = r ? r.zh : l.rel, mx2 = (sx(X[s]) + sx(X[l.node])) / 2, my2 = (sy(Y[s]) + sy(Y[l.node])) / 2;
        ctx.fillText(t, mx2 + 3, my2 - 6);
      });
    }
    if (clustered) {
      // each block a box with its head's name and size; clicking one zooms into it (it opens)
      blocks.forEach(function (b) {
        if (b.x > wx1 || b.x + b.w < wx0 || b.y > wy1 || b.y + b.h < wy0) return;
        if (b.split || b.nodes.length < 2) return;
        var c = CLS[N[b.head]["class"]], bx = sx(b.x - 8), by = sy(b.y - ROWH / 2), bw = Math.max(3, b.w * k * 0.9), bh = Math.max(3, b.h * k);
        ctx.fillStyle = c.color + "33"; ctx.fillRect(bx, by, bw, bh);
        ctx.strokeStyle = b.matches ? "#ff7f0e" : c.color; ctx.lineWidth = b.matches ? 2.5 : 1; ctx.strokeRect(bx, by, bw, bh);
      });
    }
    if (!clustered || state.visibleNodes < 3000) {
      var byShape = {};
      for (i = 0; i < n; i++) {
        if (!visible[i] || !inView(X[i], Y[i], R[i])) continue;
        var key = N[i]["class"];
        (byShape[key] = byShape[key] || []).push(i);
      }
      Object.keys(byShape).forEach(function (key) {
        var c = CLS[key], list = byShape[key];
        ctx.fillStyle = c.color; ctx.beginPath();
        list.forEach(function (j) { var r = Math.max(1.5, R[j] * k); shapePath(r < 2.5 ? "square" : c.shape, sx(X[j]), sy(Y[j]), r); });
        ctx.fill();
        if (k > 0.5) { ctx.strokeStyle = key === "Year" ? "#444" : "#fff"; ctx.lineWidth = 1; ctx.stroke(); }
      });
    }
    headers.forEach(function (h) {
      if (!visible[h]) return;
      var c = CLS[N[h]["class"]], r = Math.max(7, R[h] * k);
      ctx.fillStyle = c.color; ctx.beginPath(); shapePath(c.shape, sx(X[h]), sy(Y[h]), r); ctx.fill();
    });
    // rings: search matches (orange), the focus of a view (purple), the selected node (black)
    function ring(j, colour, width, extra) {
      if (j < 0 || !visible[j] || !inView(X[j], Y[j], 50)) return;
      ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.beginPath();
      ctx.arc(sx(X[j]), sy(Y[j]), Math.max(6, R[j] * k) + extra, 0, Math.PI * 2); ctx.stroke();
    }
    if (!clustered) state.matches.forEach(function (j) { ring(j, "#ff7f0e", 2.5, 3); });
    if (state.scope) ring(state.scope.node, "#7b2cbf", 3, 6);
    ring(state.selected, "#111", 2, 4);
    // labels, most important first: selected, focus, current match, headers, then by class and zoom
    var order = [];
    if (state.selected >= 0) order.push([state.selected, 0]);
    if (state.scope) order.push([state.scope.node, 0]);
    headers.forEach(function (h) { order.push([h, 1]); });
    if (clustered) {
      blocks.forEach(function (b) { if (inView(b.x, b.y, 0) || inView(b.x + b.w, b.y + b.h, 0)) order.push([b.head, 2, b]); });
    } else {
      state.matches.forEach(function (j) { order.push([j, 2]); });
      var rest = [];
      for (i = 0; i < n; i++) if (visible[i] && inView(X[i], Y[i], 0)) rest.push(i);
      rest.sort(function (a, c) { return CLS[N[a]["class"]].rank - CLS[N[c]["class"]].rank || a - c; });
      if (rest.length > 1500) rest.length = 1500;
      rest.forEach(function (j) { order.push([j, 3]); });
    }
    var done = new Uint8Array(n), drawn = 0;
    order.forEach(function (o) {
      var j = o[0];
      if (!visible[j] || (done[j] && !o[2])) return;
      var c = CLS[N[j]["class"]], px = c.font * 0.8 * k, text = N[j].label_zh;
      if (o[1] <= 2) px = Math.max(px, o[1] === 1 ? 15 : 12);
      if (px < 8) return;
      px = Math.min(px, 26);
      var maxW = o[1] <= 1 ? 320 : (o[2] ? Math.max(150, o[2].w * k * 0.9 - 12) : COLW * k - R[j] * k - 10);
      if (o[2] && o[2].nodes.length > 1) text += " (" + o[2].nodes.length + ")";
      if (label(j, text, Math.round(px), o[1] === 2 && matchMask[j] ? "#b35900" : "#222", maxW, o[1] <= 1 ? "600" : "")) drawn++;
      done[j] = 1;
    });
    state.labelsDrawn = drawn;
    state.lastDrawMs = performance.now() - t0;
    if (!state.stable) {
      state.stable = true; state.readyMs = performance.now();
    }
  }

  // ---- view transform and animation (short; none when frames are slow or the user prefers less motion)
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var anim = null;
  function setView(v) { view.k = v.k; view.tx = v.tx; view.ty = v.ty; requestDraw(); }
  function animateTo(target, ms) {
    var from = { k: view.k, tx: view.tx, ty: view.ty }, t0 = performance.now();
    var duration = reduceMotion || state.lastDrawMs > 35 ? 0 : Math.min(ms || 250, 250);
    state.lastAnimation = { start: t0, end: null, frames: 0, duration: duration };
    if (anim) cancelAnimationFrame(anim);
    function finish() {
      anim = null; state.animating = false; setView(target);
      requestAnimationFrame(function () { state.lastAnimation.end = performance.now(); });
    }
    if (!duration) { finish(); return; }
    state.animating = true;
    function step() {
      var f = Math.min(1, (performance.now() - t0) / duration), e = f < 0.5 ? 2 * f * f : 1 - Math.pow(-2 * f + 2, 2) / 2;
      var k = Math.exp(Math.log(from.k) + (Math.log(target.k) - Math.log(from.k)) * e);
      // interpolate the world point at the centre of the screen so the zoom does not swing
      var c0x = (W / 2 - from.tx) / from.k, c0y = (H / 2 - from.ty) / from.k, c1x = (W / 2 - target.tx) / target.k, c1y = (H / 2 - target.ty) / target.k;
      var cxw = c0x + (c1x - c0x) * e, cyw = c0y + (c1y - c0y) * e;
      view.k = k; view.tx = W / 2 - cxw * k; view.ty = H / 2 - cyw * k;
      draw(); state.lastAnimation.frames++;
      if (f >= 1 || state.lastDrawMs > 50) finish(); else anim = requestAnimationFrame(step);
    }
    anim = requestAnimationFrame(step);
  }
  function viewFor(x0, y0, x1, y1, maxK) {
    var pad = 24, k = Math.min((W - 2 * pad) / Math.max(1, x1 - x0), (H - 2 * pad) / Math.max(1, y1 - y0));
    k = Math.max(0.01, Math.min(maxK || 1.6, k));
    return { k: k, tx: W / 2 - (x0 + x1) / 2 * k, ty: H / 2 - (y0 + y1) / 2 * k };
  }
  function fit(animate) {
    var v = viewFor(bounds.x0, bounds.y0, bounds.x1, bounds.y1, 1.4);
    if (animate) animateTo(v, 250); else setView(v);
  }
  function centreOn(i, k) {
    k = Math.max(view.k, k || 1.2);
    animateTo({ k: k, tx: W / 2 - (X[i] + COLW * 0.3) * k, ty: H / 2 - Y[i] * k }, 250);
  }
  function zoomAt(f, px, py) {
    var k = Math.max(0.01, Math.min(6, view.k * f));
    setView({ k: k, tx: px - (px - view.tx) * k / view.k, ty: py - (py - view.ty) * k / view.k });
  }

  // ---- interaction: drag to pan, wheel / pinch / buttons to zoom, click a node, a label or a cluster
  var pointers = {}, dragged = false, last = null, pinch = null;
  canvas.addEventListener("pointerdown", function (ev) {
    canvas.setPointerCapture(ev.pointerId);
    pointers[ev.pointerId] = { x: ev.offsetX, y: ev.offsetY };
    dragged = false; last = { x: ev.offsetX, y: ev.offsetY };
    var ids = Object.keys(pointers);
    if (ids.length === 2) {
      var a = pointers[ids[0]], b = pointers[ids[1]];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), k: view.k };
    }
  });
  canvas.addEventListener("pointermove", function (ev) {
    if (!pointers[ev.pointerId]) { hover(ev.offsetX, ev.offsetY); return; }
    pointers[ev.pointerId] = { x: ev.offsetX, y: ev.offsetY };
    var ids = Object.keys(pointers);
    if (ids.length === 2 && pinch) {
      var a = pointers[ids[0]], b = pointers[ids[1]], d = Math.hypot(a.x - b.x, a.y - b.y);
      zoomAt(pinch.k * d / Math.max(1, pinch.d) / view.k, (a.x + b.x) / 2, (a.y + b.y) / 2);
      dragged = true; return;
    }
    var dx = ev.offsetX - last.x, dy = ev.offsetY - last.y;
    if (Math.abs(dx) + Math.abs(dy) > 3 || dragged) {
      dragged = true; last = { x: ev.offsetX, y: ev.offsetY };
      setView({ k: view.k, tx: view.tx + dx, ty: view.ty + dy });
    }
  });
  function up(ev) {
    delete pointers[ev.pointerId];
    if (Object.keys(pointers).length < 2) pinch = null;
    if (!dragged && ev.type === "pointerup") click(ev.offsetX, ev.offsetY);
  }
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode ? 0.05 : 0.0015)), ev.offsetX, ev.offsetY);
  }, { passive: false });
  canvas.addEventListener("dblclick", function (ev) { zoomAt(2, ev.offsetX, ev.offsetY); });
  canvas.addEventListener("keydown", function (ev) {
    var step = 60;
    if (ev.key === "+" || ev.key === "=") zoomAt(1.3, W / 2, H / 2);
    else if (ev.key === "-") zoomAt(1 / 1.3, W / 2, H / 2);
    else if (ev.key === "ArrowLeft") setView({ k: view.k, tx: view.tx + step, ty: view.ty });
    else if (ev.key === "ArrowRight") setView({ k: view.k, tx: view.tx - step, ty: view.ty });
    else if (ev.key === "ArrowUp") setView({ k: view.k, tx: view.tx, ty: view.ty + step });
    else if (ev.key === "ArrowDown") setView({ k: view.k, tx: view.tx, ty: view.ty - step });
    else if (ev.key === "0") fit(true);
    else return;
    ev.preventDefault();
  });
  $("kg-zoom-in").addEventListener("click", function () { zoomAt(1.5, W / 2, H / 2); });
  $("kg-zoom-out").addEventListener("click", function () { zoomAt(1 / 1.5, W / 2, H / 2); });
  $("kg-fit").addEventListener("click", function () { fit(true); });
  function nodeAt(px, py) {
    for (var b = labelBoxes.length - 1; b >= 0; b--) {
      var L = labelBoxes[b];
      if (px >= L[1] && px <= L[3] && py >= L[2] && py <= L[4] && !state.clustered) return L[0];
    }
    var wx = (px - view.tx) / view.k, wy = (py - view.ty) / view.k, best = -1, bestD = Infinity;
    for (var i = 0; i < n; i++) {
      if (!visible[i]) continue;
      if (state.clustered && headers.indexOf(i) < 0) continue;
      var d = Math.hypot(X[i] - wx, Y[i] - wy), r = Math.max(R[i], 8 / view.k);
      if (d <= r && d < bestD) { best = i; bestD = d; }
    }
    return best;
  }
  function blockAt(px, py) {
    var wx = (px - view.tx) / view.k, wy = (py - view.ty) / view.k;
    for (var b = 0; b < blocks.length; b++) {
      var B = blocks[b];
      if (wx >= B.x && wx <= B.x + B.w && wy >= B.y - ROWH / 2 && wy <= B.y + B.h) return B;
    }
    return null;
  }
  function click(px, py) {
    var i = nodeAt(px, py);
    if (i >= 0) { select(i, false); return; }
    if (state.clustered) {
      var b = blockAt(px, py);
      if (b) { openBlock(b); return; }
    }
  }
  function openBlock(b) {
    animateTo(viewFor(b.x, b.y - ROWH, b.x + b.w, b.y + b.h, 1.2), 250);
    showDetails(b.head);
  }
  var tip = $("kg-tip"), hoverFrame = false;
  function hover(px, py) {
    if (hoverFrame) return;
    hoverFrame = true;
    requestAnimationFrame(function () {
      hoverFrame = false;
      var i = nodeAt(px, py), b = i < 0 && state.clustered ? blockAt(px, py) : null;
      if (i < 0 && !b) { tip.hidden = true; canvas.style.cursor = ""; return; }
      canvas.style.cursor = "pointer";
      var a = N[b ? b.head : i], lines = [a.label_zh];
      if (a.label_en) lines.push(a.label_en);
      lines.push(clsName(a["class"]) + " " + (CLS[a["class"]] ? CLS[a["class"]].en : ""));
      if (a.value !== undefined) lines.push([a.comparator, number(a.value), a.unit].filter(Boolean).join(" "));
      if (b) lines.push(b.nodes.length + " 个节点 nodes — 点击展开 click to open");
      tip.textContent = lines.join("\n");
      tip.style.left = Math.min(px + 14, W - 260) + "px"; tip.style.top = Math.min(py + 14, H - 80) + "px";
      tip.hidden = false;
    });
  }
  canvas.addEventListener("pointerleave", function () { tip.hidden = true; });

  // ---- filters in the page: selects with counts, the class legend, views, the empty state
  var sel = { year: $("kg-year"), juris: $("kg-juris"), level: $("kg-level"), district: $("kg-district") };
  var optionLists = {
    year: UI.years.map(function (y) { return [y, y + "年"]; }),
    juris: UI.jurisdictions.map(function (j) { return [j.iri, j.path || j.zh]; }),
    level: UI.levels.map(function (lv) { return [lv, clsName(lv) + " " + (CLS[lv] ? CLS[lv].en : lv)]; }),
    district: UI.districts.map(function (d) { return [d, d]; })
  };
  Object.keys(sel).forEach(function (key) {
    optionLists[key].forEach(function (o) { var opt = el("option", o[1]); opt.value = o[0]; sel[key].appendChild(opt); });
    if (!optionLists[key].length) sel[key].parentNode.hidden = true;
    sel[key].addEventListener("change", function () { state[key] = sel[key].value; applyFilters(true); });
  });
  var legend = $("kg-legend"), legendBoxes = {};
  UI.classes.forEach(function (c) {
    if (!c.count) return;
    var li = el("li"), lab = el("label"), box = el("input");
    box.type = "checkbox"; box.checked = true; box.dataset.cls = c.key;
    box.addEventListener("change", function () {
      if (box.checked) delete state.hiddenClasses[c.key]; else state.hiddenClasses[c.key] = true;
      applyFilters(true);
    });
    var sw = el("span", null, "kg-swatch kg-" + c.shape);
    sw.style.background = c.color;
    lab.title = c.en + (c.def_en ? ": " + c.def_en : "");
    var cnt = el("span", "(" + c.count + ")", "kg-count");
    lab.append(box, sw, el("span", c.zh), cnt);
    li.appendChild(lab); legend.appendChild(li);
    legendBoxes[c.key] = { box: box, count: cnt };
  });
  $("kg-view").addEventListener("change", function () { state.view = $("kg-view").value; applyFilters(true); });

  // every option says how many nodes choosing it would show, the other filters staying as they are: one pass
  // per filter for all its options (scopeKeep's rule, unrolled: a node is kept for value v when it matches v
  // and the other filters, or when it is a place/year without a value linked to a node that does)
  function countsFor(key, attr) {
    var base = scopeSet(), tests = testsOf(state, key), counts = {}, primaryValues = new Array(n), i, t;
    var okO = new Uint8Array(n), fullO = new Uint8Array(n);
    for (i = 0; i < n; i++) {
      if (base && !base[i]) continue;
      var ok = true, full = true, sv = scopeValues[i];
      for (t = 0; t < tests.length && ok; t++) {
        var vs = sv[tests[t][0]];
        if (!vs.length) { full = false; ok = !!CONTEXT[N[i]["class"]]; } else if (vs.indexOf(tests[t][1]) < 0) ok = false;
      }
      okO[i] = ok; fullO[i] = full;
      if (ok && full && sv[attr].length) primaryValues[i] = sv[attr];
    }
    for (i = 0; i < n; i++) {
      if (!okO[i] || state.hiddenClasses[N[i]["class"]]) continue;
      var own = scopeValues[i][attr];
      if (primaryValues[i]) { own.forEach(function (v) { counts[v] = (counts[v] || 0) + 1; }); continue; }
      if (!own.length && !CONTEXT[N[i]["class"]]) continue;
      var seen = {};
      [out[i], inc[i]].forEach(function (links) {
        links.forEach(function (l) {
          var pv = primaryValues[l.node];
          if (pv) pv.forEach(function (v) { if (!own.length || own.indexOf(v) >= 0) seen[v] = 1; });
        });
      });
      Object.keys(seen).forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
    }
    return counts;
  }
  function updateCounts() {
    FILTERS.forEach(function (f) {
      var key = f[0], opts = sel[key].options, counts = countsFor(key, f[1]);
      var st = Object.assign({}, state); st[key] = "";
      for (var o = 0; o < opts.length; o++) {
        var v = opts[o].value, c = v ? counts[v] || 0 : count(keepFor(st, null, false));
        opts[o].textContent = (v ? optionLists[key][o - 1][1] : "全部") + " (" + c + ")";
      }
    });
    var all = keepFor(state, null, true), byClass = {};
    for (var i = 0; i < n; i++) if (all[i]) byClass[N[i]["class"]] = (byClass[N[i]["class"]] || 0) + 1;
    Object.keys(legendBoxes).forEach(function (key) { legendBoxes[key].count.textContent = "(" + (byClass[key] || 0) + ")"; });
  }
  var filterNames = { year: "年度 year", district: "区县 district", juris: "辖区 jurisdiction", level: "层级 level" };
  function filterValueName(key, v) {
    var o = optionLists[key].filter(function (x) { return x[0] === v; })[0];
    return o ? o[1] : v;
  }
  function emptyState(shown) {
    var box = $("kg-empty");
    if (shown) { box.hidden = true; return; }
    box.replaceChildren(el("h2", "没有可显示的节点 Nothing to show"));
    var ul = el("ul"), active = FILTERS.filter(function (f) { return state[f[0]]; });
    var reasons = 0;
    active.forEach(function (f) {
      var alone = { hiddenClasses: {} }; alone[f[0]] = state[f[0]];
      var c = count(keepFor(alone, null, true)), li = el("li");
      li.textContent = filterNames[f[0]] + "：" + filterValueName(f[0], state[f[0]]) + " — " +
        (c ? "单独使用时显示 " + c + " 个节点 (" + c + " nodes on its own)" : "图中没有属于它的节点 (no node of the graph has it)");
      var b = el("button", "取消此条件 clear"); b.type = "button";
      b.addEventListener("click", function () { state[f[0]] = ""; sel[f[0]].value = ""; applyFilters(true); });
      li.appendChild(b); ul.appendChild(li); reasons++;
    });
    if (active.length > 1) ul.appendChild(el("li", "这些条件的组合没有共同的节点。No node meets all of them together."));
    if (state.scope) {
      var li2 = el("li", "视图 view: " + scopeText() + " — 与筛选条件没有交集 (no node of this view passes the filters)");
      ul.appendChild(li2); reasons++;
    }
    var hiddenCls = Object.keys(state.hiddenClasses);
    if (hiddenCls.length) { ul.appendChild(el("li", "图例中隐藏了 hidden in the legend: " + hiddenCls.map(clsName).join("、"))); reasons++; }
    if (!reasons) ul.appendChild(el("li", "图中没有节点。The graph is empty."));
    var reset = el("button", "全部重置 Reset all"); reset.type = "button"; reset.addEventListener("click", resetAll);
    box.append(ul, reset);
    box.hidden = false;
  }

  var status = $("kg-status");
  function setStatus(text, warn) { status.textContent = text; status.classList.toggle("kg-warn", !!warn); }
  function baseStatus() {
    return "显示 " + state.visibleNodes + " / " + n + " 个节点，" + state.visibleEdges + " / " + DATA.edges.length + " 条边";
  }
  var countsTimer = null;
  function applyFilters(refit) {
    var t0 = performance.now();
    var keep = keepFor(state, null, false), nv = 0;
    for (var i = 0; i < n; i++) { visible[i] = keep[i]; nv += keep[i]; }
    var ne = 0;
    DATA.edges.forEach(function (e) { if (visible[e[0]] && visible[e[1]]) ne++; });
    state.visibleNodes = nv; state.visibleEdges = ne;
    computeLayout();
    // the counts of every option cost one filter pass each: after the graph is drawn
    state.countsReady = false;
    cancelAnimationFrame(countsTimer);
    countsTimer = requestAnimationFrame(function () { setTimeout(function () { updateCounts(); state.countsReady = true; }, 0); });
    emptyState(nv);
    var extra = state.matches.length ? " · " + matchSummary() : "";
    setStatus(baseStatus() + extra);
    if (refit !== false) fit(refit === true && state.stable); else requestDraw();
    state.lastFilterMs = performance.now() - t0;
  }

  // ---- in-page views: a goal's subtree, a node's neighbourhood (the focus is ringed in purple)
  var scopeChip = $("kg-scope");
  function scopeText() {
    var s = state.scope;
    return s ? (s.kind === "goal" ? "目标 goal: " : "周边 " + s.depth + " 层 neighbourhood: ") + N[s.node].label_zh : "";
  }
  function setScope(scope) {
    state.scope = scope;
    scopeChip.replaceChildren();
    if (scope) {
      var b = el("button", "×"); b.type = "button"; b.title = "退出此视图 Leave this view"; b.setAttribute("aria-label", "退出视图");
      b.addEventListener("click", function () { setScope(null); });
      scopeChip.append(el("span", scopeText()), b);
    }
    scopeChip.hidden = !scope;
    applyFilters(true);
    if (scope) { state.selected = scope.node; showDetails(scope.node); }
  }

  function resetAll() {
    state.year = state.district = state.juris = state.level = "";
    Object.keys(sel).forEach(function (k) { sel[k].value = ""; });
    state.hiddenClasses = {};
    Object.keys(legendBoxes).forEach(function (k) { legendBoxes[k].box.checked = true; });
    state.scope = null; scopeChip.hidden = true;
    applyFilters(true);
  }
  $("kg-reset").addEventListener("click", resetAll);

  // ---- search: every match listed (class, year, jurisdiction, value) and ringed; Enter / ↓ next,
  // Shift+Enter / ↑ previous. Filters are kept: a match they hide is listed as such, never un-filtered.
  var searchBox = $("kg-search"), results = $("kg-results");
  function findAll(query) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    var exact = [], prefix = [], sub = [];
    for (var i = 0; i < n; i++) {
      var t = searchText[i], p = t.indexOf(q);
      if (p < 0) continue;
      var a = N[i];
      if ([a.label_zh, a.label_en, a.iri].some(function (s) { return s && s.toLowerCase() === q; })) exact.push(i);
      else if (p === 0) prefix.push(i); else sub.push(i);
    }
    return exact.concat(prefix, sub);
  }
  function matchSummary() {
    var hidden = state.matches.filter(function (i) { return !visible[i]; }).length;
    return "“" + state.query + "” " + (state.matchPos >= 0 ? "第 " + (state.matchPos + 1) + " / " : "") + state.matches.length +
      " 个匹配 matches" + (hidden ? "（" + hidden + " 个被筛选隐藏 hidden by filters）" : "");
  }
  function whyHidden(i) {
    var reasons = [];
    FILTERS.forEach(function (f) {
      if (!state[f[0]]) return;
      var alone = { hiddenClasses: {} }; alone[f[0]] = state[f[0]];
      if (!keepFor(alone, null, true)[i]) reasons.push(filterNames[f[0]] + " " + filterValueName(f[0], state[f[0]]));
    });
    if (state.hiddenClasses[N[i]["class"]]) reasons.push("图例 legend: " + clsName(N[i]["class"]));
    if (state.scope && !scopeSet()[i]) reasons.push("视图 view: " + scopeText());
    return reasons.length ? reasons.join("、") : "筛选条件的组合 the filters together";
  }
  function resultRow(i, pos) {
    var a = N[i], li = el("li"), b = el("button", null, "kg-result"), c = CLS[a["class"]];
    b.type = "button"; b.dataset.node = a.iri;
    var sw = el("span", null, "kg-swatch kg-" + c.shape); sw.style.background = c.color;
    var meta = [clsName(a["class"]), a.period || a.year || values(a.years).join("、"),
                values(a.jurisdictions).map(jurisName).join("、"),
                a.value !== undefined ? [a.comparator, number(a.value), a.unit].filter(Boolean).join(" ") : ""].filter(Boolean);
    b.append(sw, el("span", a.label_zh, "kg-result-label"), el("span", meta.join(" · "), "kg-result-meta"));
    if (!visible[i]) { li.classList.add("kg-filtered"); b.appendChild(el("span", "已被筛选隐藏 hidden by filters", "kg-tag")); }
    b.addEventListener("click", function () { goToMatch(pos); });
    li.appendChild(b);
    return li;
  }
  function renderResults() {
    results.replaceChildren();
    if (!state.query) { results.hidden = true; return; }
    results.hidden = false;
    var head = el("h3", state.matches.length ? matchSummary() : "未找到 “" + state.query + "” (no match)");
    results.appendChild(head);
    var ul = el("ol", null, "kg-result-list"), shown = Math.min(state.matches.length, 300);
    for (var p = 0; p < shown; p++) ul.appendChild(resultRow(state.matches[p], p));
    results.appendChild(ul);
    if (state.matches.length > shown) results.appendChild(el("p", "… 另有 " + (state.matches.length - shown) + " 个 more: 请输入更长的词 type more", "kg-hint"));
    markCurrent();
    openSheet(true);
  }
  function markCurrent() {
    var rows = results.querySelectorAll("button.kg-result");
    rows.forEach(function (r, p) {
      var cur = p === state.matchPos;
      r.classList.toggle("kg-current", cur);
      r.setAttribute("aria-current", cur ? "true" : "false");
      if (cur && r.scrollIntoView) r.scrollIntoView({ block: "nearest" });
    });
    var head = results.querySelector("h3");
    if (head && state.matches.length) head.textContent = matchSummary();
  }
  function runSearch(query) {
    state.query = query.trim();
    state.matches = findAll(state.query);
    state.matchPos = -1;
    markBlockMatches();
    renderResults();
    setStatus(baseStatus() + (state.query ? " · " + (state.matches.length ? matchSummary() : "未找到 not found") : ""), state.query && !state.matches.length);
    requestDraw();
    return state.matches.length;
  }
  function goToMatch(pos) {
    if (!state.matches.length) return -1;
    state.matchPos = ((pos % state.matches.length) + state.matches.length) % state.matches.length;
    var i = state.matches[state.matchPos];
    markCurrent();
    select(i, true);
    return i;
  }
  function step(delta) {
    if (searchBox.value.trim() !== state.query) runSearch(searchBox.value);
    return goToMatch(state.matchPos < 0 ? (delta > 0 ? 0 : -1) : state.matchPos + delta);
  }
  var searchTimer = null;
  searchBox.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { runSearch(searchBox.value); }, n > 2000 ? 200 : 80);
  });
  searchBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" || ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      clearTimeout(searchTimer);
      step(ev.key === "ArrowUp" || (ev.key === "Enter" && ev.shiftKey) ? -1 : 1);
    } else if (ev.key === "Escape") {
      searchBox.value = ""; runSearch("");
    }
  });
  $("kg-search-next").addEventListener("click", function () { step(1); });
  $("kg-search-prev").addEventListener("click", function () { step(-1); });

  function select(i, move) {
    state.selected = i;
    showDetails(i);
    if (visible[i]) {
      setStatus(baseStatus() + (state.matches.length ? " · " + matchSummary() : ""));
      if (move) centreOn(i, 1.2); else requestDraw();
    } else {
      setStatus("“" + N[i].label_zh + "” 被当前筛选隐藏 is hidden by: " + whyHidden(i) + " — 筛选保持不变 filters kept; 重置 shows it", true);
      requestDraw();
    }
  }

  // ---- side panel: details, the reading guide, the chart; on phones a bottom sheet
  var side = $("kg-side"), sheet = $("kg-sheet");
  function openSheet(open) {
    side.classList.toggle("kg-open", open);
    sheet.setAttribute("aria-expanded", open ? "true" : "false");
    resize(); requestDraw();  // now, so that a view move computed next uses the new size
  }
  sheet.addEventListener("click", function () { openSheet(!side.classList.contains("kg-open")); });
  var menu = $("kg-menu");
  menu.addEventListener("click", function () {
    var open = !document.body.classList.contains("kg-menu-open");
    document.body.classList.toggle("kg-menu-open", open);
    menu.setAttribute("aria-expanded", open ? "true" : "false");
    requestAnimationFrame(function () { resize(); requestDraw(); });
  });

  var panel = $("kg-details");
  function nodeLink(id, text) {
    var b = el("button", text || N[id].label_zh, "kg-link");
    b.type = "button"; b.title = N[id].label_en || N[id].iri;
    b.addEventListener("click", function () { select(id, true); });
    return b;
  }
  function row(dl, name, value) {
    if (value === undefined || value === null || value === "") return;
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.append(el("dt", name), dd);
  }
  function copyText(text, button) {
    function done(ok) {
      button.textContent = ok ? "已复制 copied" : "请手动复制 copy by hand";
      state.copied = ok ? text : null;
      setTimeout(function () { button.textContent = "复制 copy"; }, 1500);
    }
    function fallback() {
      var ta = el("textarea"); ta.value = text; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
      document.body.appendChild(ta); ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove(); done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    else fallback();
  }
  function iriCell(iri) {
    var span = el("span", null, "kg-iri"), a = el("a", iri);
    a.href = /^https?:\/\//.test(iri) ? iri : "#"; a.target = "_blank"; a.rel = "noopener noreferrer";
    var b = el("button", "复制 copy", "kg-copy"); b.type = "button"; b.title = "复制 IRI Copy the IRI";
    b.addEventListener("click", function () { copyText(iri, b); });
    span.append(a, b);
    return span;
  }
  function statementRows(ids, withMeasure) {
    var table = el("table", null, withMeasure ? "kg-across" : ""), head = el("tr");
    var cols = withMeasure ? ["年度", "辖区", "类", "数值", "举措"] : ["年度", "比较", "数值", "单位", "原文"];
    cols.forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    ids.forEach(function (id) {
      var a = N[id], tr = el("tr"), cells = [a.period || a.year || values(a.years).join("、")];
      if (withMeasure) {
        var m = linked(id, "measure")[0];
        cells = cells.concat([values(a.jurisdictions).map(jurisName).join("、"), clsName(a["class"]),
                              [a.comparator, number(a.value), a.unit].filter(Boolean).join(" ") + (a.as_written ? "（" + a.as_written + "）" : ""),
                              m !== undefined ? nodeLink(m) : ""]);
      } else {
        cells = cells.concat([a.comparator, number(a.value), a.unit, a.as_written]);
      }
      cells.forEach(function (v) { var td = el("td"); if (v instanceof Node) td.appendChild(v); else td.textContent = v === undefined ? "" : String(v); tr.appendChild(td); });
      tr.title = clsName(a["class"]) + (a.reviewed === false ? " · 草稿 draft" : "") + (a.note ? " · " + a.note : "");
      if (a.reviewed === false) tr.classList.add("kg-draft");
      table.appendChild(tr);
    });
    return table;
  }
  function categoryStatements(cat) {
    var list = [];
    for (var i = 0; i < n; i++) if (STATEMENT[N[i]["class"]] && N[i].category === cat && N[i].value !== undefined) list.push(i);
    list.sort(function (a, b) { return (N[a].year || 0) - (N[b].year || 0) || String(N[a].jurisdictions).localeCompare(String(N[b].jurisdictions)) || a - b; });
    return list;
  }
  function actionButton(text, title, fn) {
    var b = el("button", text, "kg-action"); b.type = "button"; b.title = title; b.addEventListener("click", fn); return b;
  }
  function showDetails(i) {
    var a = N[i], c = CLS[a["class"]] || { zh: a["class"], en: a["class"], color: "#888" };
    panel.replaceChildren();
    $("kg-sheet-title").textContent = a.label_zh;
    panel.appendChild(el("h2", a.label_zh));
    if (a.label_en) panel.appendChild(el("p", a.label_en, "kg-en"));
    var badge = el("span", c.zh + " " + c.en, "kg-class");
    badge.style.background = c.color; badge.title = c.def_zh || "";
    panel.appendChild(badge);
    if (!visible[i]) panel.appendChild(el("p", "此节点被当前筛选隐藏：" + whyHidden(i), "kg-warn"));
    // views from this node
    var actions = el("div", null, "kg-actions"), goal = a["class"] === "Goal" ? i : (a["class"] === "Measure" ? linked(i, "underGoal")[0] : undefined);
    if (goal !== undefined) actions.appendChild(actionButton(a["class"] === "Goal" ? "目标视图 goal view" : "所属目标视图 its goal's view",
      "只显示该目标及其子目标、举措和表述 Only this goal's subtree", function () { setScope({ kind: "goal", node: goal, depth: 0 }); }));
    [1, 2].forEach(function (d) {
      actions.appendChild(actionButton("周边 " + d + " 层 neighbourhood", "只显示 " + d + " 层以内相连的节点 Nodes within " + d + " links",
        function () { setScope({ kind: "focus", node: i, depth: d }); }));
    });
    panel.appendChild(actions);
    var dl = el("dl");
    row(dl, "IRI", iriCell(a.iri));
    row(dl, "年度", a.period ? a.period + " (时期 period)" : a.year !== undefined ? a.year : values(a.years).join("、"));
    row(dl, "辖区", values(a.jurisdictions).map(function (j) {
      var o = UI.jurisdictions.filter(function (x) { return x.iri === j; })[0]; return o ? o.path || o.zh : jurisName(j);
    }).join("、"));
    row(dl, "区县", values(a.districts).join("、"));
    row(dl, "代码", a.division_code);
    row(dl, "别名", values(a.aliases).join("、"));
    row(dl, "序号", a.ordinal);
    row(dl, "类别", a.category ? a.category + (a.category_en ? " (" + a.category_en + ")" : "") : "");
    row(dl, "设施类型", a.facility_type);
    if (a.value !== undefined) {
      row(dl, "数值", number(a.value)); row(dl, "单位", a.unit); row(dl, "比较", a.comparator);
      row(dl, "原文写法", a.as_written); row(dl, "备注", a.note);
      row(dl, "核对", a.reviewed === undefined ? "" : (a.reviewed ? "已核对 reviewed" : "草稿 draft (not reviewed)"));
    }
    panel.appendChild(dl);
    var statements = linkedIn(i, "measure");
    if (statements.length) {
      panel.appendChild(el("h3", "量化表述 Statements (" + statements.length + ")"));
      panel.appendChild(statementRows(statements, false));
    }
    if (a.source_doc) {
      panel.appendChild(el("h3", "来源 Source"));
      var src = el("dl");
      row(src, "文件", (a.source_title ? a.source_title + " · " : "") + a.source_doc);
      if (a.start !== undefined) row(src, "偏移", "[" + a.start + ", " + a.end + ")");
      if (a.mentions > 1) row(src, "提及", a.mentions + " 处");
      panel.appendChild(src);
      if (a.quote) panel.appendChild(el("blockquote", a.quote));
    }
    if (a.category) {
      var same = categoryStatements(a.category);
      if (same.length) {
        var sec = el("section", null, "kg-category");
        sec.appendChild(el("h3", "“" + a.category + "” 历年数值 across years (" + same.length + ")"));
        sec.appendChild(chart(a.category, same));
        sec.appendChild(statementRows(same, true));
        panel.appendChild(sec);
      }
    }
    [["→", out[i]], ["←", inc[i]]].forEach(function (pair) {
      var groups = {};
      pair[1].forEach(function (l) { (groups[l.rel] = groups[l.rel] || []).push(l.node); });
      Object.keys(groups).sort().forEach(function (rel) {
        var r = UI.relations[rel] || { zh: rel, en: rel }, list = groups[rel];
        panel.appendChild(el("h3", pair[0] + " " + r.zh + " " + r.en + " (" + list.length + ")"));
        var ul = el("ul");
        list.slice(0, 40).forEach(function (x) { var li = el("li"); li.appendChild(nodeLink(x)); ul.appendChild(li); });
        if (list.length > 40) ul.appendChild(el("li", "… " + (list.length - 40)));
        panel.appendChild(ul);
      });
    });
    showPanel("kg-details");
    openSheet(true);
  }
  function showPanel(id) {
    ["kg-details", "kg-howto", "kg-chart-panel"].forEach(function (p) { $(p).hidden = p !== id; });
  }

  // ---- the chart: one category's targets (bounds as carets, a range as a bar) and outcomes (a line)
  // over the years, one colour per jurisdiction. Inline SVG, built with createElementNS (no markup).
  var PALETTE = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1", "#9c755f", "#edc948"];
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function niceTicks(lo, hi) {
    var span = hi - lo || Math.abs(hi) || 1, step = Math.pow(10, Math.floor(Math.log10(span / 4)));
    [1, 2, 5, 10].some(function (m) { if (span / (step * m) <= 5) { step *= m; return true; } return false; });
    var ticks = [];
    for (var t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(10));
    return ticks;
  }
  function chartMarks(ids) {
    // group a measure's statements of one year: at-least + at-most together are one range
    var groups = {};
    ids.forEach(function (id) {
      var a = N[id], m = linked(id, "measure")[0], key = [a.year, a.jurisdictions, a["class"], m].join("|");
      (groups[key] = groups[key] || []).push(id);
    });
    return Object.keys(groups).sort().map(function (key) {
      var g = groups[key], a = N[g[0]], mark = { year: a.year, juris: values(a.jurisdictions)[0] || "", outcome: a["class"] === "Outcome", ids: g };
      g.forEach(function (id) {
        var comps = values(N[id].comparators), v = parseFloat(N[id].value);
        if (comps.indexOf("AtLeast") >= 0) mark.lo = v;
        else if (comps.indexOf("AtMost") >= 0) mark.hi = v;
        else if (comps.indexOf("Approximately") >= 0) mark.approx = v;
        else mark.exact = v;
      });
      return mark;
    });
  }
  function chart(cat, ids) {
    var units = {};
    ids.forEach(function (id) { var u = N[id].unit || ""; units[u] = (units[u] || 0) + 1; });
    var unit = Object.keys(units).sort(function (a, b) { return units[b] - units[a] || a.localeCompare(b); })[0];
    var use = ids.filter(function (id) { return (N[id].unit || "") === unit && N[id].year !== undefined && !N[id].period; });
    var periodOnly = ids.filter(function (id) { return N[id].period; }).length;
    var marks = chartMarks(use), fig = el("figure", null, "kg-chart");
    fig.dataset.category = cat;
    var years = {}, juris = [], vals = [];
    marks.forEach(function (m) {
      years[m.year] = 1; if (juris.indexOf(m.juris) < 0) juris.push(m.juris);
      ["lo", "hi", "approx", "exact"].forEach(function (k) { if (m[k] !== undefined) vals.push(m[k]); });
    });
    var ys = Object.keys(years).map(Number).sort(function (a, b) { return a - b; });
    if (!ys.length || !vals.length) { fig.appendChild(el("figcaption", "没有可绘制的年度数值 No yearly values to chart")); return fig; }
    var w = 300, h = 190, L = 40, Rr = 10, T = 12, B = 34;
    var y0 = Math.min.apply(null, vals), y1 = Math.max.apply(null, vals);
    if (y0 > 0 && y0 / Math.max(y1, 1e-9) < 0.6) y0 = 0;
    var pad = (y1 - y0) * 0.15 || Math.abs(y1) * 0.2 || 1;
    y0 -= pad; y1 += pad;
    if (vals.every(function (v) { return v >= 0; }) && y0 < 0) y0 = 0;
    var X0 = ys[0] - 0.5, X1 = ys[ys.length - 1] + 0.5;
    function px(year, j) { return L + (year - X0) / (X1 - X0) * (w - L - Rr) + (juris.length > 1 ? (j - (juris.length - 1) / 2) * 7 : 0); }
    function py(v) { return T + (1 - (v - y0) / (y1 - y0)) * (h - T - B); }
    var s = svg("svg", { viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img", "class": "kg-chart-svg" });
    s.appendChild(svg("title", {}, cat + " (" + unit + ")"));
    niceTicks(y0, y1).forEach(function (t) {
      if (t < y0 || t > y1) return;
      s.appendChild(svg("line", { x1: L, x2: w - Rr, y1: py(t), y2: py(t), stroke: "#eee" }));
      s.appendChild(svg("text", { x: L - 4, y: py(t) + 3, "text-anchor": "end", "font-size": 9, fill: "#666" }, number(t)));
    });
    var every = Math.ceil(ys.length / 10);
    ys.forEach(function (y, k) {
      if (k % every) return;
      s.appendChild(svg("text", { x: px(y, (juris.length - 1) / 2), y: h - B + 13, "text-anchor": "middle", "font-size": 9, fill: "#444" }, String(y)));
    });
    s.appendChild(svg("line", { x1: L, x2: w - Rr, y1: h - B, y2: h - B, stroke: "#999" }));
    s.appendChild(svg("text", { x: 4, y: T - 2, "font-size": 9, fill: "#444" }, unit));
    juris.forEach(function (j, ji) {
      var colour = PALETTE[ji % PALETTE.length], mine = marks.filter(function (m) { return m.juris === j; });
      var outs = mine.filter(function (m) { return m.outcome; }).map(function (m) { return [m.year, m.exact !== undefined ? m.exact : (m.approx !== undefined ? m.approx : (m.lo !== undefined ? m.lo : m.hi))]; });
      if (outs.length > 1) s.appendChild(svg("polyline", { points: outs.map(function (o) { return px(o[0], ji) + "," + py(o[1]); }).join(" "), fill: "none", stroke: colour, "stroke-width": 1.5 }));
      mine.forEach(function (m) {
        var x = px(m.year, ji), gr = svg("g", { "class": m.outcome ? "kg-mark-outcome" : "kg-mark-target" });
        var tip = [m.year, jurisName(m.juris), m.outcome ? "结果 outcome" : "目标 target"];
        if (m.lo !== undefined && m.hi !== undefined) {
          gr.appendChild(svg("line", { x1: x, x2: x, y1: py(m.lo), y2: py(m.hi), stroke: colour, "stroke-width": 4, "stroke-linecap": "round", opacity: 0.6 }));
          tip.push(number(m.lo) + "–" + number(m.hi) + " " + unit);
        } else if (m.lo !== undefined) {
          gr.appendChild(svg("path", { d: "M" + (x - 5) + "," + (py(m.lo) + 4) + "L" + x + "," + (py(m.lo) - 4) + "L" + (x + 5) + "," + (py(m.lo) + 4) + "Z", fill: m.outcome ? colour : "#fff", stroke: colour, "stroke-width": 1.5 }));
          tip.push("≥ " + number(m.lo) + " " + unit);
        } else if (m.hi !== undefined) {
          gr.appendChild(svg("path", { d: "M" + (x - 5) + "," + (py(m.hi) - 4) + "L" + x + "," + (py(m.hi) + 4) + "L" + (x + 5) + "," + (py(m.hi) - 4) + "Z", fill: m.outcome ? colour : "#fff", stroke: colour, "stroke-width": 1.5 }));
          tip.push("≤ " + number(m.hi) + " " + unit);
        }
        if (m.approx !== undefined) {
          gr.appendChild(svg("path", { d: "M" + x + "," + (py(m.approx) - 5) + "L" + (x + 5) + "," + py(m.approx) + "L" + x + "," + (py(m.approx) + 5) + "L" + (x - 5) + "," + py(m.approx) + "Z", fill: m.outcome ? colour : "#fff", stroke: colour, "stroke-width": 1.5 }));
          tip.push("≈ " + number(m.approx) + " " + unit);
        }
        if (m.exact !== undefined) {
          gr.appendChild(m.outcome ? svg("circle", { cx: x, cy: py(m.exact), r: 3.5, fill: colour })
            : svg("rect", { x: x - 3.5, y: py(m.exact) - 3.5, width: 7, height: 7, fill: "#fff", stroke: colour, "stroke-width": 1.5 }));
          tip.push("= " + number(m.exact) + " " + unit);
        }
        gr.appendChild(svg("title", {}, tip.join(" · ")));
        s.appendChild(gr);
      });
    });
    fig.appendChild(s);
    var key = el("figcaption");
    juris.forEach(function (j, ji) { var sw = el("span", "■ " + jurisName(j), "kg-chart-key"); sw.style.color = PALETTE[ji % PALETTE.length]; key.appendChild(sw); });
    key.appendChild(el("span", "□ 目标 target  ▲ 至少 ≥  ▼ 至多 ≤  ◇ 约 ≈  ┃ 区间 range  ● 结果 outcome", "kg-chart-legend"));
    var others = Object.keys(units).filter(function (u) { return u !== unit; });
    if (others.length) key.appendChild(el("span", "另有单位 other units, not drawn: " + others.join("、"), "kg-hint"));
    if (periodOnly) key.appendChild(el("span", periodOnly + " 个多年时期的数值未绘出 figures of a multi-year period are not drawn (see the table)", "kg-hint"));
    fig.appendChild(key);
    return fig;
  }
  var chartSel = $("kg-chart"), cats = {};
  for (var ci = 0; ci < n; ci++) if (STATEMENT[N[ci]["class"]] && N[ci].category && N[ci].value !== undefined) cats[N[ci].category] = (cats[N[ci].category] || 0) + 1;
  Object.keys(cats).sort().forEach(function (c) { var o = el("option", c + " (" + cats[c] + ")"); o.value = c; chartSel.appendChild(o); });
  if (!Object.keys(cats).length) chartSel.parentNode.hidden = true;
  function showChart(cat) {
    state.chart = cat;
    var p = $("kg-chart-panel");
    p.replaceChildren();
    if (!cat) { showPanel("kg-details"); return; }
    var ids = categoryStatements(cat);
    p.appendChild(el("h2", cat));
    p.appendChild(el("p", "目标与结果，按年度和辖区 Targets and outcomes by year and jurisdiction", "kg-en"));
    p.appendChild(chart(cat, ids));
    p.appendChild(statementRows(ids, true));
    showPanel("kg-chart-panel"); openSheet(true);
  }
  chartSel.addEventListener("change", function () { showChart(chartSel.value); });

  // ---- how to read: the ontology's own definitions of what is drawn
  function howTo() {
    var p = $("kg-howto");
    p.replaceChildren(el("h2", "如何阅读 How to read"));
    p.appendChild(el("p", "每个节点是知识图谱中的一个资源；形状和颜色表示类别。以下定义取自本体 (ontology/shenyang.ttl)。" +
      " Each node is a resource of the graph; its shape and colour give its class. The definitions are the ontology's own.", "kg-en"));
    var dl = el("dl", null, "kg-defs");
    UI.classes.forEach(function (c) {
      if (!c.count && ["Target", "Outcome"].indexOf(c.key) < 0) return;
      var dt = el("dt"), sw = el("span", null, "kg-swatch kg-" + c.shape);
      sw.style.background = c.color;
      dt.append(sw, el("span", " " + c.zh + " " + c.en + " (" + c.count + ")"));
      var dd = el("dd");
      dd.append(el("span", c.def_zh || ""), el("br"), el("span", c.def_en || "", "kg-en"));
      dl.append(dt, dd);
    });
    p.appendChild(dl);
    p.appendChild(el("h3", "比较方式 Comparators"));
    var cl = el("dl", null, "kg-defs");
    UI.comparators.forEach(function (c) {
      var dd = el("dd"); dd.append(el("span", c.def_zh), el("br"), el("span", c.def_en, "kg-en"));
      cl.append(el("dt", c.zh + " " + c.en), dd);
    });
    p.appendChild(cl);
    p.appendChild(el("h3", "关系 Links"));
    var rl = el("dl", null, "kg-defs");
    Object.keys(UI.relations).forEach(function (k) {
      var r = UI.relations[k], dd = el("dd");
      dd.append(el("span", r.def_zh || ""), el("br"), el("span", r.def_en || "", "kg-en"));
      rl.append(el("dt", r.zh + " " + r.en), dd);
    });
    p.appendChild(rl);
    p.appendChild(el("h3", "操作 Using the page"));
    var ul = el("ul");
    ["视图：按年度（每年一栏）、目标树、按辖区（国家 › 省 › 市 › 区县）。每个叶节点占一行，标签互不重叠；缩小时只显示重要的标签，节点很多时显示为可点击展开的分组。 Views: by year, goal tree, by jurisdiction; one row per leaf, labels never overlap; zoomed out, only the important labels, and big graphs show clusters that open on click.",
     "筛选：每个选项后的数字是选择它时会显示的节点数。 Filters: the number after each option is how many nodes choosing it shows.",
     "搜索：列出全部匹配并以橙色圈出；Enter/↓ 下一个，Shift+Enter/↑ 上一个；筛选保持不变。 Search lists and rings every match; Enter/↓ next, Shift+Enter/↑ previous; filters stay.",
     "详情面板中可进入目标视图或周边视图（紫色圈为中心节点）；图表显示一个类别历年的目标与结果。 From the details panel: goal and neighbourhood views (the focus is ringed in purple); the chart shows a category's targets and outcomes over the years."
    ].forEach(function (t) { ul.appendChild(el("li", t)); });
    p.appendChild(ul);
  }
  $("kg-help").addEventListener("click", function () {
    var p = $("kg-howto");
    if (!p.hidden) { showPanel("kg-details"); return; }
    if (!p.childNodes.length) howTo();
    showPanel("kg-howto"); openSheet(true);
  });

  // ---- start
  window.addEventListener("resize", function () { resize(); requestDraw(); });
  resize();
  for (var v = 0; v < n; v++) visible[v] = 1;
  applyFilters(false);
  fit(false);
  window.kgViz = {
    state: state, nodes: N, index: index, visible: visible, positions: function (i) { return { x: X[i], y: Y[i] }; },
    view: view, blocks: function () { return blocks; }, headers: function () { return headers; }, treeParent: treeParent,
    applyFilters: applyFilters, scopeKeep: scopeKeep, search: runSearch, step: step, goToMatch: goToMatch, select: select,
    setScope: setScope, reset: resetAll, fit: fit, zoomTo: function (k) { zoomAt(k / view.k, W / 2, H / 2); }, centreOn: centreOn, zoomAt: zoomAt, draw: draw, showChart: showChart,
    labelBoxes: function () { return labelBoxes; }, openBlock: openBlock,
    // legibility, as the tests check it: pairs of drawn labels that overlap, and drawn nodes under another's label
    overlaps: function () {
      var L = labelBoxes, pairs = 0, covered = 0, a, b;
      for (a = 0; a < L.length; a++) for (b = a + 1; b < L.length; b++)
        if (L[a][5] < L[b][3] - 1 && L[b][5] < L[a][3] - 1 && L[a][2] < L[b][4] - 1 && L[b][2] < L[a][4] - 1) pairs++;
      if (!state.clustered) for (var i = 0; i < n; i++) {
        if (!visible[i]) continue;
        var x = sx(X[i]), y = sy(Y[i]);
        if (x < 0 || y < 0 || x > W || y > H) continue;
        for (a = 0; a < L.length; a++) if (L[a][0] !== i && x > L[a][5] + 1 && x < L[a][3] - 1 && y > L[a][2] + 1 && y < L[a][4] - 1) { covered++; break; }
      }
      return { labels: L.length, overlapping: pairs, nodesUnderLabels: covered };
    },
    visibleIds: function () { var o = []; for (var i = 0; i < n; i++) if (visible[i]) o.push(N[i].iri); return o; },
    toScreen: function (i) { return { x: sx(X[i]), y: sy(Y[i]) }; }
  };
})();
