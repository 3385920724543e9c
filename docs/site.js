// The course's sidebar, page bar, previous/next and search, on every page
// of the site. The reading order is the sidebar's: the course page, each
// lesson with its other pages and its diff page, the Performance page.
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
    if (item.url === here) a.classList.add("here");
    return a;
  }

  // The pages in reading order, as the sidebar lists them.
  function readingOrder(nav) {
    var pages = [nav.course];
    nav.stages.forEach(function (s) {
      pages.push({ title: s.title, url: s.url });
      pages = pages.concat(s.extra || []);
      if (s.diff) pages.push(s.diff);
    });
    return pages.concat(nav.extra);
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
    var more = (s.extra || []).concat(s.diff ? [s.diff] : []);
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

  // A line above the page: the drawer's button on a phone, then where
  // the page is: the course, this stage's lesson, this page.
  function bar(nav, current) {
    var b = el("div", { id: "course-bar" });
    var menu = el("button", { id: "course-menu", type: "button",
      "aria-controls": "course-nav", "aria-expanded": "false" },
    "\u2630 Contents");
    menu.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    });
    b.appendChild(menu);
    b.appendChild(link(nav.course));
    if (current >= 0) {
      var s = nav.stages[current];
      b.appendChild(document.createTextNode(" \u203a "));
      b.appendChild(link({ title: s.title, url: s.url }));
      var own = (s.extra || []).concat(s.diff ? [s.diff] : []);
      own.forEach(function (p) {
        if (p.url !== here) return;
        b.appendChild(document.createTextNode(" \u203a "));
        b.appendChild(link(p));
      });
    }
    nav.extra.forEach(function (p) {
      if (p.url !== here) return;
      b.appendChild(document.createTextNode(" \u203a "));
      b.appendChild(link(p));
    });
    return b;
  }

  // Previous and next at the end of a page that is read in order.
  function pager(nav) {
    var pages = readingOrder(nav);
    var at = -1;
    pages.forEach(function (p, i) { if (p.url === here) at = i; });
    if (at < 0) return null;
    var p = el("nav", { "class": "pager", "aria-label": "Previous and next" });
    [[at - 1, "prev", "Previous"], [at + 1, "next", "Next"]].forEach(
      function (w) {
        var page = pages[w[0]];
        if (!page) return;
        var a = el("a", { href: root + page.url, "class": w[1],
          rel: w[1] });
        a.appendChild(el("span", {}, w[2]));
        a.appendChild(document.createTextNode(page.title));
        p.appendChild(a);
      });
    return p;
  }

  // Mark in the sidebar the section of this page being read: the last one
  // whose heading is above the top quarter of the window.
  function followSections(side) {
    var links = {};
    side.querySelectorAll("ul.sections a").forEach(function (a) {
      var u = new URL(a.href);
      if (u.hash && u.pathname === location.pathname) links[u.hash] = a;
    });
    var heads = Array.from(document.querySelectorAll(
      "div.textblock > h1[id]")).filter(function (h) {
      return links["#" + h.id];
    });
    if (!heads.length) return;
    var now = null;
    function update() {
      var cur = heads[0];
      heads.forEach(function (h) {
        if (h.getBoundingClientRect().top < window.innerHeight / 4) cur = h;
      });
      var a = links["#" + cur.id];
      if (a === now) return;
      if (now) now.classList.remove("reading-now");
      a.classList.add("reading-now");
      now = a;
    }
    window.addEventListener("scroll", update, { passive: true });
    update();
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
      var a = link({ title: "", url: e[3] });
      highlight(a, e[0], words);
      li.appendChild(a);
      li.appendChild(el("span", { "class": "where" },
        e[1] + ", " + (stageTitles[e[2]] || e[2])));
      var x = excerpt(e[4], words[0]);
      if (x) {
        var span = el("span", { "class": "excerpt" });
        highlight(span, x, words);
        li.appendChild(span);
      }
      ul.appendChild(li);
    });
    results.appendChild(ul);
  }

  // About 120 characters of text around the first place it holds word,
  // cut at spaces, not in the middle of a word.
  function excerpt(text, word) {
    var at = text.toLowerCase().indexOf(word);
    if (at < 0) return "";
    var from = Math.max(0, at - 40);
    var to = Math.min(text.length, at + 80);
    if (from > 0) from = text.lastIndexOf(" ", from) + 1;
    var end = text.indexOf(" ", to);
    to = end < 0 ? text.length : end;
    return (from > 0 ? "\u2026" : "") + text.slice(from, to) +
      (to < text.length ? "\u2026" : "");
  }

  // Put text into e with every word of the query in a <mark>.
  function highlight(e, text, words) {
    var re = new RegExp("(" + words.map(function (w) {
      return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")", "gi");
    text.split(re).forEach(function (part, i) {
      e.appendChild(i % 2 ? el("mark", {}, part) :
        document.createTextNode(part));
    });
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
    var side = sidebar(nav, current);
    body.insertBefore(side, body.firstChild);
    body.classList.add("with-course-nav");
    var contents = document.querySelector("div.contents");
    var p = pager(nav);
    if (p && contents) contents.appendChild(p);
    followSections(side);
    side.addEventListener("click", function (ev) {
      if (ev.target.tagName === "A") body.classList.remove("nav-open");
    });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target.tagName;
      if (ev.key === "Escape") body.classList.remove("nav-open");
      if (ev.key === "/" && t !== "INPUT" && t !== "TEXTAREA") {
        ev.preventDefault();
        box().focus();
      }
    });
  });
})();
