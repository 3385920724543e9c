// The course's sidebar, page bar and search, on every page of the site.
// nav.js (window.COURSE_NAV) lists the pages; search-data.js
// (window.COURSE_SEARCH), loaded on the first search, holds every lesson
// section and every stage's public names. URLs in both are relative to the
// course's root, which the page's <body data-course-root> gives.
(function () {
  "use strict";

  var root = "";
  var here = "";
  var stageTitles = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function link(item, cls) {
    var a = el("a", { href: root + item.url }, item.title);
    if (cls) a.className = cls;
    if (item.url.split("#")[0] === here) a.classList.add("here");
    return a;
  }

  // The path of this page relative to the course root, as nav.js writes it.
  function pagePath() {
    var base = new URL(root || "./", location.href).pathname;
    var path = location.pathname;
    return path.indexOf(base) === 0 ? path.slice(base.length) : path;
  }

  function stageOfPage(nav) {
    for (var i = 0; i < nav.stages.length; i++) {
      var s = nav.stages[i];
      var own = (s.diff ? [s.diff] : []).concat(s.extra || []);
      if (here.indexOf(s.dir + "/") === 0) return i;
      if (own.some(function (p) { return p.url.split("#")[0] === here; }))
        return i;
    }
    return -1;
  }

  function list(items, cls) {
    var ul = el("ul", cls ? { "class": cls } : {});
    items.forEach(function (item) {
      var li = el("li");
      li.appendChild(link(item));
      ul.appendChild(li);
    });
    return ul;
  }

  function stageTree(s, open) {
    var d = el("details", { "class": "stage", "data-stage": s.dir });
    if (open) d.open = true;
    var sum = el("summary");
    sum.appendChild(link({ title: s.title, url: s.url }));
    d.appendChild(sum);
    d.appendChild(list(s.sections, "sections"));
    var more = [];
    if (s.diff) more.push(s.diff);
    if (s.extra) more = more.concat(s.extra);
    d.appendChild(list(more, "extra"));
    var api = el("div", { "class": "api" });
    api.appendChild(el("span", {}, "API: "));
    s.api.forEach(function (item, i) {
      if (i) api.appendChild(document.createTextNode(" "));
      api.appendChild(link(item));
    });
    d.appendChild(api);
    return d;
  }

  function sidebar(nav, current) {
    var side = el("nav", { id: "course-nav", "aria-label": "The course" });
    var form = el("form", { id: "course-search-form", role: "search" });
    var box = el("input", {
      id: "course-search", type: "search",
      placeholder: "Search the course (/)",
      "aria-label": "Search every lesson and every stage's API"
    });
    form.appendChild(box);
    side.appendChild(form);
    var results = el("div", { id: "course-results", hidden: "hidden" });
    side.appendChild(results);
    var tree = el("div", { id: "course-tree" });
    var top = el("ul", { "class": "top" });
    var li = el("li");
    li.appendChild(link(nav.course, "course"));
    top.appendChild(li);
    tree.appendChild(top);
    nav.stages.forEach(function (s, i) {
      tree.appendChild(stageTree(s, i === current));
    });
    tree.appendChild(list(nav.extra, "top"));
    side.appendChild(tree);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var first = results.querySelector("li a");
      if (first) location.href = first.href;
    });
    box.addEventListener("input", function () {
      search(box.value, results, tree);
    });
    return side;
  }

  // A line above the page: the course, this stage's lesson, the next one.
  function bar(nav, current) {
    var b = el("div", { id: "course-bar" });
    b.appendChild(link(nav.course));
    if (current >= 0) {
      var s = nav.stages[current];
      b.appendChild(document.createTextNode(" \u203a "));
      b.appendChild(link({ title: s.title, url: s.url }));
    }
    var next = nav.stages[current + 1];
    if (next) {
      b.appendChild(document.createTextNode(" \u00b7 next: "));
      b.appendChild(link({ title: next.title, url: next.url }, "next"));
    }
    return b;
  }

  function box() { return document.getElementById("course-search"); }

  // Search: loaded on first use, then every entry whose name or text holds
  // every word of the query; names first.
  var loading = false;

  function search(query, results, tree) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    results.hidden = !words.length;
    tree.hidden = !!words.length;
    if (!words.length) return;
    if (!window.COURSE_SEARCH) {
      results.textContent = "Loading the index\u2026";
      if (!loading) {
        loading = true;
        var s = el("script", { src: root + "search-data.js" });
        s.onload = function () { search(box().value, results, tree); };
        s.onerror = function () {
          loading = false;
          results.textContent = "The search index could not be loaded.";
          console.error("can not load " + s.src);
        };
        document.head.appendChild(s);
      }
      return;
    }
    var found = [];
    window.COURSE_SEARCH.forEach(function (e) {
      var name = e[0].toLowerCase();
      var text = e[4].toLowerCase();
      var inName = words.every(function (w) { return name.includes(w); });
      var inText = words.every(function (w) { return text.includes(w); });
      if (!inName && !inText) return;
      var rank = name === words.join(" ") ? 2e9 : inName ? 1e9 :
        text.split(words[0]).length;
      found.push([rank, e]);
    });
    found.sort(function (a, b) { return b[0] - a[0]; });
    results.textContent = "";
    results.appendChild(el("p", { "class": "count" },
      found.length + (found.length === 1 ? " result" : " results")));
    var ul = el("ul");
    found.slice(0, 100).forEach(function (f) {
      var e = f[1];
      var li = el("li", { "data-stage": e[2] });
      li.appendChild(link({ title: e[0], url: e[3] }));
      li.appendChild(el("span", { "class": "where" },
        e[1] + ", " + (stageTitles[e[2]] || e[2])));
      var at = e[4].toLowerCase().indexOf(words[0]);
      if (at >= 0) {
        li.appendChild(el("span", { "class": "excerpt" },
          (at > 40 ? "\u2026" : "") +
          e[4].slice(Math.max(0, at - 40), at + 80) + "\u2026"));
      }
      ul.appendChild(li);
    });
    results.appendChild(ul);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var nav = window.COURSE_NAV;
    root = document.body.getAttribute("data-course-root") || "";
    if (!nav) {
      console.error("no sidebar: nav.js did not load");
      return;
    }
    here = pagePath();
    nav.stages.forEach(function (s) { stageTitles[s.dir] = s.title; });
    var current = stageOfPage(nav);
    var body = document.body;
    body.insertBefore(bar(nav, current), body.firstChild);
    body.insertBefore(sidebar(nav, current), body.firstChild);
    body.classList.add("with-course-nav");
    document.addEventListener("keydown", function (ev) {
      var t = ev.target.tagName;
      if (ev.key === "/" && t !== "INPUT" && t !== "TEXTAREA") {
        ev.preventDefault();
        box().focus();
      }
    });
  });
})();
