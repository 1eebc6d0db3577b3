// recommend's page: plain JavaScript, no framework, no build step.
//
// Views live in the URL's hash so that the back button, links and reloads
// work without any server-side routing:
//   #/                       browse all papers (#/?offset=20 for the next page)
//   #/search?q=...           search results
//   #/paper/<encoded id>     a paper, its abstract and its related papers
//   #/map                    the large map of the corpus
//   #/likes                  liked and disliked papers and recommendations
//
// Everything shown comes from the HTTP API (/v1/...); text from the API is
// always inserted as text (never as HTML).
(function () {
  "use strict";

  const PAGE = 20;           // papers per page when browsing
  const RESULTS = 20;        // search results and recommendations
  const RELATED = 10;        // related papers in the paper view
  const SNIPPET = 320;       // characters of abstract in a result
  const PREFS_KEY = "recommend.prefs.v1";
  const MODE_KEY = "recommend.mode";

  // ---------------------------------------------------------------- API

  class APIError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  // request calls the API and returns the decoded JSON, or throws an
  // APIError whose message is the API's own error message when it sent one.
  async function request(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw new APIError("Could not reach the server: " + (err && err.message ? err.message : err) + ". Is it still running?", 0);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = null; }
    }
    if (!res.ok) {
      const msg = data && data.error && data.error.message
        ? data.error.message
        : "The server answered " + res.status + " " + res.statusText + ".";
      throw new APIError(msg, res.status, data);
    }
    if (data === null) {
      throw new APIError("The server sent an answer that is not JSON.", res.status);
    }
    return data;
  }

  const enc = encodeURIComponent;
  const api = {
    ready: () => request("GET", "/readyz"),
    list: (offset, limit) => request("GET", "/v1/papers?limit=" + limit + "&offset=" + offset),
    paper: (id) => request("GET", "/v1/papers/" + enc(id)),
    related: (id, limit) => request("GET", "/v1/papers/" + enc(id) + "/related?limit=" + limit),
    search: (q, limit, mode) => request("GET", "/v1/search?q=" + enc(q) + "&limit=" + limit + (mode ? "&mode=" + enc(mode) : "")),
    recommend: (positive, negative, limit) => request("POST", "/v1/recommend", { positive, negative, limit }),
    map: () => request("GET", "/v1/map"),
  };

  // ---------------------------------------------------------------- DOM helpers

  // h builds an element: h("a", {href: "#/"}, "text", childNode, ...).
  // Attributes starting with "on" become listeners; strings become text.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function announce(text) {
    const el = $("#announce");
    el.textContent = "";
    // A tick later, so that screen readers notice the same text twice.
    setTimeout(() => { el.textContent = text; }, 30);
  }

  function errorBox(what, err) {
    return h("div", { class: "message error", role: "alert" },
      h("strong", {}, what),
      err && err.message ? err.message : String(err));
  }

  function emptyBox(text) {
    return h("p", { class: "message empty" }, text);
  }

  function truncate(s, n) {
    if (!s || s.length <= n) return s || "";
    const cut = s.slice(0, n);
    const sp = cut.lastIndexOf(" ");
    return (sp > n * 0.6 ? cut.slice(0, sp) : cut).replace(/[\s,.;:]+$/, "") + "…";
  }

  function paperHref(id) { return "#/paper/" + enc(id); }

  function formatDate(s) {
    if (!s) return "";
    const d = new Date(s + "T00:00:00Z");
    if (isNaN(d)) return s;
    return d.toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }

  // authorsText summarises a paper's authors: "A, B, C and 4 more" or "7 authors".
  function authorsText(p, max) {
    const names = p.authors || [];
    const count = Math.max(p.author_count || 0, names.length);
    if (names.length > 0) {
      if (names.length <= max) return names.join(", ");
      return names.slice(0, max).join(", ") + " and " + (count - max) + " more";
    }
    if (count > 0) return count === 1 ? "1 author" : count + " authors";
    return "";
  }

  // ---------------------------------------------------------------- likes (session)

  // prefs: {liked: {id: title}, disliked: {id: title}}, kept in sessionStorage.
  const prefs = loadPrefs();

  function loadPrefs() {
    try {
      const p = JSON.parse(sessionStorage.getItem(PREFS_KEY) || "null");
      if (p && typeof p.liked === "object" && typeof p.disliked === "object") return p;
    } catch (_) { /* a broken entry is replaced */ }
    return { liked: {}, disliked: {} };
  }

  function savePrefs() {
    try { sessionStorage.setItem(PREFS_KEY, JSON.stringify(prefs)); } catch (_) { /* private mode: keep in memory */ }
    updateLikeCount();
  }

  function mark(id, title, kind) {
    const other = kind === "liked" ? "disliked" : "liked";
    if (prefs[kind][id] !== undefined) {
      delete prefs[kind][id];
      announce("Removed “" + title + "” from " + kind + " papers.");
    } else {
      prefs[kind][id] = title;
      delete prefs[other][id];
      announce((kind === "liked" ? "Liked" : "Disliked") + " “" + title + "”.");
    }
    savePrefs();
    syncMarkButtons();
  }

  function updateLikeCount() {
    const n = Object.keys(prefs.liked).length + Object.keys(prefs.disliked).length;
    const badge = $("#like-count");
    badge.textContent = String(n);
    badge.setAttribute("aria-label", n + (n === 1 ? " paper" : " papers") + " marked");
  }

  function markButtons(p) {
    const liked = prefs.liked[p.id] !== undefined;
    const disliked = prefs.disliked[p.id] !== undefined;
    return h("div", { class: "actions" },
      h("button", {
        type: "button", class: "like", "aria-pressed": liked ? "true" : "false",
        "data-mark": "liked", "data-id": p.id, "aria-label": "Like: " + p.title,
        onclick: () => mark(p.id, p.title, "liked"),
      }, liked ? "Liked" : "Like"),
      h("button", {
        type: "button", class: "dislike", "aria-pressed": disliked ? "true" : "false",
        "data-mark": "disliked", "data-id": p.id, "aria-label": "Dislike: " + p.title,
        onclick: () => mark(p.id, p.title, "disliked"),
      }, disliked ? "Disliked" : "Dislike"));
  }

  // syncMarkButtons brings every like/dislike button on the page up to date.
  function syncMarkButtons() {
    for (const b of $$("button[data-mark]")) {
      const kind = b.dataset.mark;
      const on = prefs[kind][b.dataset.id] !== undefined;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.textContent = kind === "liked" ? (on ? "Liked" : "Like") : (on ? "Disliked" : "Dislike");
    }
  }

  // ---------------------------------------------------------------- result cards

  function resultCard(r, opts) {
    opts = opts || {};
    const meta = [];
    if (typeof r.score === "number") {
      meta.push(h("span", { class: "score", title: "similarity (cosine; 1 is identical)" },
        h("span", { class: "visually-hidden" }, "similarity "), r.score.toFixed(3)));
    }
    if (r.published) meta.push(h("time", { datetime: r.published }, formatDate(r.published)));
    const authors = authorsText(r, 3);
    if (authors) meta.push(h("span", { class: "authors-short" }, authors));
    if (r.organization) meta.push(h("span", {}, r.organization));
    return h("li", { class: "card result", "data-id": r.id },
      h("h3", {},
        opts.rank ? h("span", { class: "rank" }, opts.rank + ".") : null,
        h("a", { href: paperHref(r.id), class: "paper-link" }, r.title)),
      meta.length ? h("p", { class: "meta" }, meta) : null,
      h("p", { class: "snippet" }, truncate(r.abstract, SNIPPET)),
      markButtons(r));
  }

  function resultList(items, opts) {
    return h("ol", { class: "results", id: opts && opts.id },
      items.map((r, i) => resultCard(r, { rank: opts && opts.ranked ? i + 1 : 0 })));
  }

  // ---------------------------------------------------------------- routing

  let routeToken = 0;   // a newer route makes older async renders drop their results
  const main = $("#main");

  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/";
    const qi = raw.indexOf("?");
    const path = qi >= 0 ? raw.slice(0, qi) : raw;
    const params = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : "");
    return { path, params };
  }

  function setNav(name) {
    for (const a of $$("nav.views a")) {
      if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  // show replaces the main view and moves focus to its heading, so that
  // keyboard and screen-reader users land on the new content.
  function show(nodes, opts) {
    main.replaceChildren(...[].concat(nodes));
    $("#layout").classList.toggle("wide", !!(opts && opts.wide));
    const heading = $("h1", main);
    if (heading && !(opts && opts.keepFocus)) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }

  async function route() {
    const token = ++routeToken;
    const { path, params } = parseHash();
    const live = () => token === routeToken;
    miniMap.setHighlight([], []);
    if (bigMap && path !== "/map") {
      bigMap.destroy();
      bigMap = window.recommendMaps.big = null;
    }
    if (path === "/" || path === "") {
      setNav("home");
      return viewHome(Math.max(0, parseInt(params.get("offset") || "0", 10) || 0), live);
    }
    if (path === "/search") {
      setNav("");
      return viewSearch((params.get("q") || "").trim(), live);
    }
    if (path.startsWith("/paper/")) {
      setNav("");
      let id;
      try { id = decodeURIComponent(path.slice("/paper/".length)); } catch (_) { id = path.slice("/paper/".length); }
      return viewPaper(id, live);
    }
    if (path === "/map") {
      setNav("map");
      return viewMap(live);
    }
    if (path === "/likes") {
      setNav("likes");
      return viewLikes(live);
    }
    setNav("");
    show([h("h1", {}, "Page not found"), emptyBox("There is no view at “" + location.hash + "”."), h("p", {}, h("a", { href: "#/" }, "Browse all papers"))]);
  }

  // ---------------------------------------------------------------- views

  async function viewHome(offset, live) {
    const list = h("div", { class: "loading" }, "Loading papers…");
    show([
      h("h1", {}, "Find related papers"),
      h("p", { class: "lead" }, "Search by topic, open a paper to read its abstract and walk to its nearest neighbours, and mark papers with Like or Dislike to get recommendations under “More like these”."),
      list,
    ]);
    try {
      const res = await api.list(offset, PAGE);
      if (!live()) return;
      const total = res.total || 0;
      if (total === 0) {
        list.replaceWith(emptyBox("The collection is empty. Add papers with POST /v1/papers or start the service with the bundled corpus."));
        return;
      }
      if (res.data.length === 0) {
        list.replaceWith(emptyBox("No papers on this page (the collection has " + total + "). "), h("a", { href: "#/" }, "Back to the first page"));
        return;
      }
      const from = offset + 1, to = offset + res.data.length;
      const pager = h("div", { class: "pager" },
        h("button", { type: "button", disabled: offset === 0, onclick: () => { location.hash = "#/?offset=" + Math.max(0, offset - PAGE); } }, "Previous"),
        h("span", { class: "muted" }, "Papers " + from + "–" + to + " of " + total),
        h("button", { type: "button", disabled: to >= total, onclick: () => { location.hash = "#/?offset=" + (offset + PAGE); } }, "Next"));
      list.replaceWith(h("section", { "aria-labelledby": "all-title" },
        h("h2", { id: "all-title" }, "All papers (" + total + ")"),
        resultList(res.data, { id: "browse" }),
        pager));
      miniMap.setHighlight([], res.data.map((p) => p.id), { related: "papers on this page" });
    } catch (err) {
      if (live()) list.replaceWith(errorBox("Could not load the papers.", err));
    }
  }

  async function viewSearch(q, live) {
    $("#q").value = q;
    if (!q) {
      show([h("h1", {}, "Search"), emptyBox("Type a few words about a topic and press Enter.")], { keepFocus: true });
      $("#q").focus();
      return;
    }
    const body = h("div", { class: "loading", "aria-busy": "true" }, "Searching…");
    show([h("h1", {}, "Results for “" + q + "”"), body]);
    try {
      const res = await api.search(q, RESULTS, state.mode);
      if (!live()) return;
      if (res.data.length === 0) {
        body.replaceWith(emptyBox("No papers match “" + q + "”. Try other or fewer words."));
        announce("No results.");
        return;
      }
      body.replaceWith(h("p", { class: "muted" }, res.data.length + " papers, most similar first" + (res.model ? " (model " + res.model + ")" : "") + "."),
        resultList(res.data, { id: "search-results", ranked: true }));
      announce(res.data.length + " results for " + q + ".");
      miniMap.setHighlight([], res.data.map((r) => r.id), { related: "search results" });
    } catch (err) {
      if (live()) body.replaceWith(errorBox("The search failed.", err));
    }
  }

  async function viewPaper(id, live) {
    const slot = h("div", { class: "loading", "aria-busy": "true" }, "Loading the paper…");
    show([slot], { keepFocus: true });
    const relatedP = api.related(id, RELATED);
    relatedP.catch(() => {}); // handled below; avoid an unhandled rejection if the paper fails first
    let p;
    try {
      p = await api.paper(id);
    } catch (err) {
      if (!live()) return;
      show([h("h1", {}, "Paper not available"), errorBox("Could not open the paper “" + id + "”.", err), h("p", {}, h("a", { href: "#/" }, "Browse all papers"))]);
      return;
    }
    if (!live()) return;
    const meta = [];
    if (p.published) meta.push(h("time", { datetime: p.published }, "Published " + formatDate(p.published)));
    if (p.organization) meta.push(h("span", {}, p.organization));
    const count = Math.max(p.author_count || 0, (p.authors || []).length);
    const links = [];
    if (p.url) links.push(h("a", { href: p.url, rel: "noopener noreferrer", target: "_blank" }, "Source"));
    if (p.doi) links.push(h("a", { href: "https://doi.org/" + p.doi, rel: "noopener noreferrer", target: "_blank" }, "DOI " + p.doi));
    const relatedSlot = h("div", { class: "loading", "aria-busy": "true" }, "Finding related papers…");
    show([
      h("p", { class: "crumbs" }, h("button", { type: "button", class: "link", onclick: () => history.back() }, "← Back")),
      h("article", { class: "paper", "data-id": p.id },
        h("h1", { id: "paper-title" }, p.title),
        meta.length ? h("p", { class: "meta" }, meta) : null,
        (p.authors && p.authors.length)
          ? h("p", { class: "authors" }, h("span", { class: "muted" }, count === 1 ? "Author: " : count + " authors: "), p.authors.join(", "))
          : (count ? h("p", { class: "authors muted" }, count === 1 ? "1 author" : count + " authors") : null),
        (p.categories && p.categories.length) ? h("ul", { class: "chips", "aria-label": "Categories" }, p.categories.map((c) => h("li", {}, c))) : null,
        h("div", { class: "actions paper-actions" }, markButtons(p), links.length ? h("span", { class: "meta" }, links) : null),
        h("h2", { class: "visually-hidden" }, "Abstract"),
        h("p", { class: "abstract", id: "paper-abstract" }, p.abstract),
        h("p", { class: "muted paper-id" }, "ID: ", h("code", {}, p.id))),
      h("section", { "aria-labelledby": "related-title" },
        h("h2", { id: "related-title" }, "Related papers"),
        relatedSlot),
    ]);
    miniMap.setHighlight([p.id], [], { current: "this paper" });
    try {
      const rel = await relatedP;
      if (!live()) return;
      if (rel.data.length === 0) {
        relatedSlot.replaceWith(emptyBox("No related papers: this is the only paper in the collection."));
        return;
      }
      relatedSlot.replaceWith(resultList(rel.data, { id: "related", ranked: true }));
      miniMap.setHighlight([p.id], rel.data.map((r) => r.id), { current: "this paper", related: "related papers" });
    } catch (err) {
      if (live()) relatedSlot.replaceWith(errorBox("Could not find related papers.", err));
    }
  }

  async function viewLikes(live) {
    const liked = Object.entries(prefs.liked);
    const disliked = Object.entries(prefs.disliked);
    const markedList = (entries, kind, empty) => entries.length === 0
      ? h("p", { class: "muted" }, empty)
      : h("ul", { class: "marked", id: kind + "-list" }, entries.map(([id, title]) =>
        h("li", { "data-id": id },
          h("a", { href: paperHref(id) }, title),
          h("button", { type: "button", "aria-label": "Remove “" + title + "” from " + kind + " papers", onclick: () => { delete prefs[kind][id]; savePrefs(); route(); } }, "Remove"))));
    const recSlot = h("div", {});
    show([
      h("h1", {}, "More like these"),
      h("p", { class: "lead" }, "Papers you mark with Like or Dislike are kept in this browser tab. Recommendations are papers close to the liked ones and away from the disliked ones."),
      h("div", { class: "columns" },
        h("section", { "aria-labelledby": "liked-title" },
          h("h2", { id: "liked-title" }, "Liked (" + liked.length + ")"),
          markedList(liked, "liked", "None yet.")),
        h("section", { "aria-labelledby": "disliked-title" },
          h("h2", { id: "disliked-title" }, "Disliked (" + disliked.length + ")"),
          markedList(disliked, "disliked", "None yet."))),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", id: "get-recs", disabled: liked.length === 0, onclick: () => loadRecs() }, "Get recommendations"),
        h("button", { type: "button", disabled: liked.length + disliked.length === 0, onclick: () => { prefs.liked = {}; prefs.disliked = {}; savePrefs(); route(); } }, "Clear all")),
      h("section", { "aria-labelledby": "recs-title" },
        h("h2", { id: "recs-title" }, "Recommended for you"),
        recSlot),
    ]);
    miniMap.setHighlight(liked.map(([id]) => id), [], { current: "liked" });

    async function loadRecs() {
      const pos = Object.keys(prefs.liked), neg = Object.keys(prefs.disliked);
      if (pos.length === 0) {
        recSlot.replaceChildren(emptyBox("Like at least one paper to get recommendations: open a paper or search, then press Like."));
        return;
      }
      recSlot.replaceChildren(h("div", { class: "loading", "aria-busy": "true" }, "Finding papers like these…"));
      try {
        const res = await api.recommend(pos, neg, RESULTS);
        if (!live()) return;
        if (res.data.length === 0) {
          recSlot.replaceChildren(emptyBox("No recommendations: the liked and disliked papers cancel out, or there is nothing else in the collection."));
          return;
        }
        recSlot.replaceChildren(resultList(res.data, { id: "recommendations", ranked: true }));
        announce(res.data.length + " recommendations.");
        miniMap.setHighlight(pos, res.data.map((r) => r.id), { current: "liked", related: "recommended" });
      } catch (err) {
        if (live()) recSlot.replaceChildren(errorBox("Could not get recommendations.", err));
      }
    }
    await loadRecs();
  }

  async function viewMap(live) {
    const wrap = h("div", { class: "map-wrap big" },
      h("canvas", { id: "big-map", tabindex: "0" }),
      h("div", { class: "tooltip", hidden: true }),
      h("p", { class: "map-message" }, "Loading the map…"));
    const legend = h("ul", { class: "legend", id: "map-legend", "aria-label": "Clusters" });
    const info = h("p", { class: "muted", id: "map-info" });
    show([
      h("h1", {}, "Map of the corpus"),
      h("p", { class: "lead" }, "Each dot is a paper, placed so that papers with similar abstracts are near each other (the two main directions of their embedding vectors) and coloured by cluster. Hover over a dot to see its title and click it to open the paper. Zoom with the mouse wheel or the buttons and drag to move. With the keyboard: focus the map, move between papers with the arrow keys, open one with Enter."),
      h("div", { class: "map-tools" },
        h("button", { type: "button", "aria-label": "Zoom in", onclick: () => bigMap && bigMap.zoomBy(1.6) }, "+ Zoom in"),
        h("button", { type: "button", "aria-label": "Zoom out", onclick: () => bigMap && bigMap.zoomBy(1 / 1.6) }, "− Zoom out"),
        h("button", { type: "button", onclick: () => bigMap && bigMap.resetView() }, "Reset view"),
        info),
      wrap,
      legend,
    ], { wide: true });
    if (bigMap) bigMap.destroy();
    bigMap = new MapView($("canvas", wrap), { interactive: true, onOpen: (id) => { location.hash = paperHref(id); } });
    window.recommendMaps.big = bigMap;
    try {
      const m = await loadMap();
      if (!live()) return;
      $(".map-message", wrap).hidden = true;
      if (m.data.length === 0) {
        $(".map-message", wrap).hidden = false;
        $(".map-message", wrap).textContent = "The collection is empty: nothing to draw.";
        return;
      }
      bigMap.setData(m);
      bigMap.setHighlight(Object.keys(prefs.liked), [], { current: "liked" });
      info.textContent = m.data.length + " papers in " + m.clusters + (m.clusters === 1 ? " cluster" : " clusters") + ".";
      const labels = clusterLabels(m);
      const sizes = new Array(m.clusters).fill(0);
      for (const p of m.data) sizes[p.cluster]++;
      legend.replaceChildren(...labels.map((label, c) => h("li", {},
        h("span", { class: "swatch", style: null, "data-cluster": c }),
        h("span", {}, label + " ", h("span", { class: "muted" }, "(" + sizes[c] + ")")))));
      for (const sw of $$(".swatch", legend)) sw.style.background = clusterColor(+sw.dataset.cluster);
    } catch (err) {
      if (!live()) return;
      const msg = $(".map-message", wrap);
      msg.hidden = false;
      msg.replaceChildren(errorBox("Could not load the map.", err));
    }
  }

  // ---------------------------------------------------------------- the map

  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2",
    "#edc948", "#ff9da7", "#9c755f", "#8cd17d", "#499894", "#d37295"];
  function clusterColor(c) { return PALETTE[((c % PALETTE.length) + PALETTE.length) % PALETTE.length]; }

  let mapPromise = null;
  function loadMap() {
    if (!mapPromise) {
      mapPromise = api.map();
      mapPromise.catch(() => { mapPromise = null; }); // try again next time
    }
    return mapPromise;
  }

  const STOP = new Set(("a about above across after again against all also among an and any are as at based be been before being between both but by can do does " +
    "during each few for from further has have how however if in into is it its learning model models more most new not of on only or other our over paper " +
    "show such than that the their them then there these they this those through to towards under up using via was we were what when where which while " +
    "with within without two one approach approaches method methods study toward use used new novel data results task tasks").split(" "));

  // clusterLabels names each cluster by the title words most typical of it:
  // frequent in the cluster and clearly more frequent there than overall.
  function clusterLabels(m) {
    const total = new Map();
    const per = Array.from({ length: m.clusters }, () => new Map());
    const size = new Array(m.clusters).fill(0);
    for (const p of m.data) {
      size[p.cluster]++;
      const seen = new Set();
      for (const w of (p.title || "").toLowerCase().match(/[a-z][a-z0-9-]{2,}/g) || []) {
        if (STOP.has(w) || seen.has(w)) continue;
        seen.add(w);
        total.set(w, (total.get(w) || 0) + 1);
        per[p.cluster].set(w, (per[p.cluster].get(w) || 0) + 1);
      }
    }
    const n = m.data.length;
    return per.map((counts, c) => {
      const scored = [];
      for (const [w, k] of counts) {
        if (k < 2) continue;
        const lift = (k / size[c]) / (total.get(w) / n);
        if (lift < 1.5) continue;
        scored.push([w, k * Math.log(lift)]);
      }
      scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const words = scored.slice(0, 3).map((s) => s[0]);
      return "Cluster " + (c + 1) + (words.length ? ": " + words.join(", ") : "");
    });
  }

  // MapView draws the map on a canvas: every paper a dot coloured by
  // cluster, highlighted papers on top, the title of the paper under the
  // pointer in a tooltip. Hit-testing uses a uniform grid over the data
  // coordinates, so that hovering stays cheap with 10,000 papers.
  class MapView {
    constructor(canvas, opts) {
      this.canvas = canvas;
      this.wrap = canvas.parentElement;
      this.tooltip = $(".tooltip", this.wrap);
      this.opts = opts;
      this.points = [];
      this.byId = new Map();
      this.current = new Set();
      this.related = new Set();
      this.labels = {};
      this.hover = -1;       // index under the pointer
      this.cursor = -1;      // index selected with the keyboard
      this.zoom = 1; this.panX = 0; this.panY = 0;
      this.base = document.createElement("canvas");
      this.baseDirty = true;
      this.listeners = [];
      this.on(canvas, "pointermove", (e) => this.onPointerMove(e));
      this.on(canvas, "pointerleave", () => { if (!this.drag) this.setHover(-1); });
      this.on(canvas, "pointerdown", (e) => this.onPointerDown(e));
      this.on(canvas, "pointerup", (e) => this.onPointerUp(e));
      this.on(canvas, "pointercancel", () => { this.drag = null; });
      this.on(canvas, "keydown", (e) => this.onKey(e));
      this.on(canvas, "blur", () => { this.cursor = -1; this.setHover(-1); });
      if (opts.interactive) this.on(canvas, "wheel", (e) => this.onWheel(e), { passive: false });
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.wrap);
      this.updateLabel();
    }

    on(target, type, fn, o) { target.addEventListener(type, fn, o); this.listeners.push([target, type, fn, o]); }

    destroy() {
      this.resizeObserver.disconnect();
      for (const [t, type, fn, o] of this.listeners) t.removeEventListener(type, fn, o);
      this.listeners = [];
    }

    setData(m) {
      this.points = m.data;
      this.byId = new Map(m.data.map((p, i) => [p.id, i]));
      this.buildGrid();
      this.baseDirty = true;
      this.canvas.dataset.points = String(m.data.length);
      this.updateLabel();
      this.draw();
      this.canvas.dataset.state = "ready";
    }

    updateLabel() {
      this.canvas.setAttribute("role", "application");
      this.canvas.setAttribute("aria-roledescription", "map");
      this.canvas.setAttribute("aria-label", this.points.length
        ? "Map of " + this.points.length + " papers coloured by cluster. Arrow keys move between papers, Enter opens the selected paper" + (this.opts.interactive ? ", plus and minus zoom." : ".")
        : "Map of the corpus, loading.");
    }

    // setHighlight marks papers on the map: current ones (the paper shown,
    // or the liked ones) and related ones (its neighbours, search results,
    // recommendations). labels names both kinds in the map's key.
    setHighlight(current, related, labels) {
      this.current = new Set(current);
      this.related = new Set(related.filter((id) => !this.current.has(id)));
      this.labels = labels || {};
      this.baseDirty = true;
      this.draw();
      if (this.opts.onHighlight) this.opts.onHighlight(this);
    }

    // Geometry. Data coordinates are in [-1, 1] (y up); the view fills the
    // canvas with a margin, then zoom and pan apply.
    resize() {
      const r = this.wrap.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      const dpr = window.devicePixelRatio || 1;
      this.w = r.width; this.h = r.height; this.dpr = dpr;
      this.canvas.width = Math.round(r.width * dpr);
      this.canvas.height = Math.round(r.height * dpr);
      this.base.width = this.canvas.width; this.base.height = this.canvas.height;
      this.baseDirty = true;
      this.draw();
    }

    margin() { return 12 + this.radius() * 2; }
    scaleX() { return (this.w / 2 - this.margin()) * this.zoom; }
    scaleY() { return (this.h / 2 - this.margin()) * this.zoom; }
    toScreen(p) { return [this.w / 2 + (p.x * this.scaleX()) + this.panX, this.h / 2 - (p.y * this.scaleY()) + this.panY]; }
    toData(sx, sy) { return [(sx - this.w / 2 - this.panX) / this.scaleX(), -(sy - this.h / 2 - this.panY) / this.scaleY()]; }

    // radius of a dot in CSS pixels: larger when there are few papers,
    // growing a little with zoom.
    radius() {
      const n = Math.max(1, this.points.length);
      const r = Math.max(1.3, Math.min(4.5, 70 / Math.sqrt(n)));
      return r * Math.min(2.5, Math.sqrt(this.zoom));
    }

    buildGrid() {
      const n = this.points.length;
      this.g = Math.max(1, Math.min(256, Math.ceil(Math.sqrt(n / 2))));
      this.cells = Array.from({ length: this.g * this.g }, () => []);
      this.points.forEach((p, i) => this.cells[this.cellOf(p.x, p.y)].push(i));
    }

    cellIndex(v) { return Math.min(this.g - 1, Math.max(0, Math.floor((v + 1) / 2 * this.g))); }
    cellOf(x, y) { return this.cellIndex(y) * this.g + this.cellIndex(x); }

    // hit returns the index of the dot nearest to the screen point (sx, sy)
    // within a few pixels, or -1.
    hit(sx, sy) {
      if (!this.points.length || !this.w) return -1;
      const reach = Math.max(7, this.radius() + 4);
      const [dx, dy] = this.toData(sx, sy);
      const rx = reach / this.scaleX(), ry = reach / this.scaleY();
      const x0 = this.cellIndex(dx - rx), x1 = this.cellIndex(dx + rx);
      const y0 = this.cellIndex(dy - ry), y1 = this.cellIndex(dy + ry);
      let best = -1, bestD = reach * reach;
      for (let cy = y0; cy <= y1; cy++) {
        for (let cx = x0; cx <= x1; cx++) {
          for (const i of this.cells[cy * this.g + cx]) {
            const [px, py] = this.toScreen(this.points[i]);
            const d = (px - sx) * (px - sx) + (py - sy) * (py - sy);
            // Prefer highlighted papers when dots overlap.
            const bias = this.current.has(this.points[i].id) || this.related.has(this.points[i].id) ? 0.5 : 1;
            if (d * bias < bestD) { best = i; bestD = d * bias; }
          }
        }
      }
      return best;
    }

    // pointPosition gives the viewport position of a paper's dot (used by
    // the browser tests to click a known paper, and handy in the console).
    pointPosition(id) {
      const i = this.byId.get(id);
      if (i === undefined || !this.w) return null;
      const [x, y] = this.toScreen(this.points[i]);
      const r = this.canvas.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    }

    localXY(e) {
      const r = this.canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    }

    onPointerMove(e) {
      const [x, y] = this.localXY(e);
      if (this.drag && this.opts.interactive) {
        const mx = x - this.drag.x, my = y - this.drag.y;
        if (this.drag.moved || Math.abs(mx) + Math.abs(my) > 4) {
          this.drag.moved = true;
          this.panX = this.drag.panX + mx; this.panY = this.drag.panY + my;
          this.clampPan();
          this.baseDirty = true;
          this.setHover(-1);
          this.draw();
          return;
        }
      }
      this.setHover(this.hit(x, y));
    }

    onPointerDown(e) {
      if (e.button !== 0) return;
      const [x, y] = this.localXY(e);
      this.drag = { x, y, panX: this.panX, panY: this.panY, moved: false };
      if (this.opts.interactive) this.canvas.setPointerCapture(e.pointerId);
    }

    onPointerUp(e) {
      const d = this.drag;
      this.drag = null;
      if (!d || d.moved) return;
      const [x, y] = this.localXY(e);
      const i = this.hit(x, y);
      if (i >= 0) this.opts.onOpen(this.points[i].id);
    }

    onWheel(e) {
      e.preventDefault();
      const [x, y] = this.localXY(e);
      this.zoomAt(Math.exp(-e.deltaY * 0.0015), x, y);
    }

    zoomBy(f) { this.zoomAt(f, this.w / 2, this.h / 2); }

    zoomAt(f, sx, sy) {
      const z = Math.max(1, Math.min(60, this.zoom * f));
      const [dx, dy] = this.toData(sx, sy);
      this.zoom = z;
      // keep the data point under (sx, sy) where it is
      const [nx, ny] = this.toScreen({ x: dx, y: dy });
      this.panX += sx - nx; this.panY += sy - ny;
      this.clampPan();
      this.baseDirty = true;
      this.setHover(-1);
      this.draw();
    }

    resetView() { this.zoom = 1; this.panX = 0; this.panY = 0; this.baseDirty = true; this.draw(); }

    clampPan() {
      const limX = this.scaleX(), limY = this.scaleY();
      this.panX = Math.max(-limX, Math.min(limX, this.panX));
      this.panY = Math.max(-limY, Math.min(limY, this.panY));
      if (this.zoom === 1) { this.panX = 0; this.panY = 0; }
    }

    onKey(e) {
      if (!this.points.length) return;
      const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (dirs[e.key]) {
        e.preventDefault();
        this.moveCursor(dirs[e.key]);
      } else if (e.key === "Enter" || e.key === " ") {
        const i = this.cursor >= 0 ? this.cursor : this.hover;
        if (i >= 0) { e.preventDefault(); this.opts.onOpen(this.points[i].id); }
      } else if (this.opts.interactive && (e.key === "+" || e.key === "=")) {
        e.preventDefault(); this.zoomBy(1.6);
      } else if (this.opts.interactive && (e.key === "-" || e.key === "_")) {
        e.preventDefault(); this.zoomBy(1 / 1.6);
      } else if (e.key === "Escape") {
        this.cursor = -1; this.setHover(-1);
      }
    }

    // moveCursor selects the nearest paper in the direction of the arrow.
    moveCursor(dir) {
      let from = this.cursor;
      if (from < 0) {
        // start at the current paper, or the paper nearest the centre
        for (const id of this.current) { if (this.byId.has(id)) { from = this.byId.get(id); break; } }
        if (from < 0) {
          let bd = Infinity;
          this.points.forEach((p, i) => { const d = p.x * p.x + p.y * p.y; if (d < bd) { bd = d; from = i; } });
          this.select(from);
          return;
        }
      }
      const [fx, fy] = this.toScreen(this.points[from]);
      let best = -1, bestScore = Infinity;
      this.points.forEach((p, i) => {
        if (i === from) return;
        const [px, py] = this.toScreen(p);
        const along = (px - fx) * dir[0] + (py - fy) * dir[1];
        if (along <= 0.5) return;
        const across = Math.abs((px - fx) * dir[1] - (py - fy) * dir[0]);
        if (across > along * 1.5) return;
        const score = along + 2 * across;
        if (score < bestScore) { bestScore = score; best = i; }
      });
      if (best >= 0) this.select(best);
    }

    select(i) {
      this.cursor = i;
      this.setHover(i);
      announce(this.points[i].title + ". Press Enter to open.");
    }

    setHover(i) {
      if (i === this.hover) return;
      this.hover = i;
      const tip = this.tooltip;
      if (i < 0) {
        tip.hidden = true;
        this.canvas.style.cursor = "crosshair";
      } else {
        const p = this.points[i];
        tip.textContent = p.title + (p.published ? " (" + p.published.slice(0, 4) + ")" : "");
        tip.hidden = false;
        const [x, y] = this.toScreen(p);
        const tw = tip.offsetWidth, th = tip.offsetHeight;
        let left = x + 12, top = y - th - 10;
        if (left + tw > this.w - 4) left = Math.max(4, x - tw - 12);
        if (top < 4) top = Math.min(this.h - th - 4, y + 12);
        tip.style.left = left + "px";
        tip.style.top = top + "px";
        this.canvas.style.cursor = "pointer";
      }
      this.draw();
    }

    drawBase() {
      const ctx = this.base.getContext("2d");
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.clearRect(0, 0, this.w, this.h);
      // faint axes through the middle of the data
      ctx.strokeStyle = "#eef0f3";
      ctx.lineWidth = 1;
      ctx.beginPath();
      const [ox, oy] = this.toScreen({ x: 0, y: 0 });
      ctx.moveTo(0, oy); ctx.lineTo(this.w, oy); ctx.moveTo(ox, 0); ctx.lineTo(ox, this.h);
      ctx.stroke();
      const r = this.radius();
      const dim = this.current.size + this.related.size > 0;
      ctx.globalAlpha = dim ? 0.35 : (this.points.length > 3000 ? 0.7 : 0.85);
      // one path per cluster: 10,000 dots in a few fills
      const byCluster = new Map();
      this.points.forEach((p, i) => {
        if (!byCluster.has(p.cluster)) byCluster.set(p.cluster, []);
        byCluster.get(p.cluster).push(i);
      });
      for (const [c, idx] of byCluster) {
        ctx.fillStyle = clusterColor(c);
        ctx.beginPath();
        for (const i of idx) {
          const [x, y] = this.toScreen(this.points[i]);
          if (x < -r || y < -r || x > this.w + r || y > this.h + r) continue;
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, Math.PI * 2);
        }
        ctx.fill();
      }
      ctx.globalAlpha = 1;
      // related papers: a ring in their cluster's colour
      for (const id of this.related) {
        const i = this.byId.get(id);
        if (i === undefined) continue;
        const [x, y] = this.toScreen(this.points[i]);
        ctx.beginPath();
        ctx.arc(x, y, r + 3, 0, Math.PI * 2);
        ctx.fillStyle = "#fff";
        ctx.fill();
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = "#1d2430";
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(x, y, Math.max(1.5, r), 0, Math.PI * 2);
        ctx.fillStyle = clusterColor(this.points[i].cluster);
        ctx.fill();
      }
      // the current paper(s): a large dot in its cluster's colour inside a
      // dark ring, with a halo, so that it stands out from related papers
      for (const id of this.current) {
        const i = this.byId.get(id);
        if (i === undefined) continue;
        const [x, y] = this.toScreen(this.points[i]);
        ctx.beginPath();
        ctx.arc(x, y, r + 12, 0, Math.PI * 2);
        ctx.fillStyle = "rgba(29, 36, 48, 0.12)";
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "rgba(29, 36, 48, 0.6)";
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(x, y, r + 6, 0, Math.PI * 2);
        ctx.fillStyle = "#1d2430";
        ctx.fill();
        ctx.beginPath();
        ctx.arc(x, y, r + 3.5, 0, Math.PI * 2);
        ctx.fillStyle = "#fff";
        ctx.fill();
        ctx.beginPath();
        ctx.arc(x, y, r + 2, 0, Math.PI * 2);
        ctx.fillStyle = clusterColor(this.points[i].cluster);
        ctx.fill();
      }
      this.baseDirty = false;
    }

    draw() {
      if (!this.w || this.drawQueued) return;
      this.drawQueued = true;
      requestAnimationFrame(() => {
        this.drawQueued = false;
        if (this.baseDirty) this.drawBase();
        const ctx = this.canvas.getContext("2d");
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
        ctx.drawImage(this.base, 0, 0);
        if (this.hover >= 0 && this.points[this.hover]) {
          ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
          const [x, y] = this.toScreen(this.points[this.hover]);
          ctx.beginPath();
          ctx.arc(x, y, this.radius() + 5, 0, Math.PI * 2);
          ctx.lineWidth = 2.5;
          ctx.strokeStyle = "#e8590c";
          ctx.stroke();
        }
      });
    }
  }

  // ---------------------------------------------------------------- start-up

  const state = { mode: "", modes: [] };
  let bigMap = null;
  const miniMap = new MapView($("#mini-map"), {
    interactive: false,
    onOpen: (id) => { location.hash = paperHref(id); },
    onHighlight: (m) => updateMiniKey(m),
  });

  // updateMiniKey says what the small map shows and what its marks mean.
  function updateMiniKey(m) {
    const key = $("#mini-map-key");
    if (!m.points.length) return;
    const parts = [m.points.length + " papers in " + new Set(m.points.map((p) => p.cluster)).size + " clusters."];
    const cur = [...m.current].filter((id) => m.byId.has(id)).length;
    const rel = [...m.related].filter((id) => m.byId.has(id)).length;
    if (cur && m.labels.current) parts.push(h("span", { class: "key" }, h("span", { class: "key-current" }), m.labels.current));
    if (rel && m.labels.related) parts.push(h("span", { class: "key" }, h("span", { class: "key-related" }), m.labels.related));
    key.replaceChildren(...parts);
  }
  window.recommendMaps = { mini: miniMap, big: null };

  // setupModes shows the retrieval-mode switch when the API lists modes
  // (GET /readyz answering {"modes": ["hybrid", "semantic", "lexical"], ...});
  // until then the switch stays hidden and searches send no mode.
  function setupModes(ready) {
    const modes = Array.isArray(ready && ready.modes) ? ready.modes.filter((m) => typeof m === "string") : [];
    state.modes = modes;
    const box = $("#mode");
    if (modes.length < 2) { box.hidden = true; state.mode = ""; return; }
    let saved = "";
    try { saved = sessionStorage.getItem(MODE_KEY) || ""; } catch (_) { /* ignore */ }
    state.mode = modes.includes(saved) ? saved : (modes.includes(ready.default_mode) ? ready.default_mode : modes[0]);
    $("#mode-options").replaceChildren(...modes.map((m) => h("label", {},
      h("input", {
        type: "radio", name: "mode", value: m, checked: m === state.mode,
        onchange: () => {
          state.mode = m;
          try { sessionStorage.setItem(MODE_KEY, m); } catch (_) { /* ignore */ }
          if (parseHash().path === "/search") route();
        },
      }),
      h("span", {}, m))));
    box.hidden = false;
  }

  async function checkReady() {
    const banner = $("#banner");
    try {
      const r = await api.ready();
      banner.hidden = true;
      setupModes(r);
      $("#footer").textContent = (r.papers !== undefined ? r.papers + " papers" : "") + (r.model ? " · embedding model " + r.model : "") + " · recommend";
      return true;
    } catch (err) {
      banner.hidden = false;
      banner.textContent = err.status === 503
        ? "The service is still loading its index (" + err.message + "). This page will update when it is ready."
        : "The service is not answering: " + err.message;
      return false;
    }
  }

  async function loadMiniMap() {
    const msg = $(".map-message", miniMap.wrap);
    msg.hidden = false;
    msg.textContent = "Loading the map…";
    try {
      const m = await loadMap();
      if (m.data.length === 0) {
        msg.textContent = "The collection is empty.";
        return;
      }
      msg.hidden = true;
      miniMap.setData(m);
      updateMiniKey(miniMap);
    } catch (err) {
      msg.replaceChildren(errorBox("Could not load the map.", err));
    }
  }

  $("#search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("#q").value.trim();
    const target = "#/search?q=" + enc(q);
    if (location.hash === target) route(); // same search again: run it again
    else location.hash = target;
  });

  // The skip link moves focus to the content without touching the hash,
  // which holds the view.
  $("#skip").addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });

  window.addEventListener("hashchange", route);

  updateLikeCount();
  (async function start() {
    let ok = await checkReady();
    route();
    // While the index loads, poll; then draw everything again.
    while (!ok) {
      await new Promise((r) => setTimeout(r, 2000));
      ok = await checkReady();
      if (ok) route();
    }
    loadMiniMap();
  })();
})();
