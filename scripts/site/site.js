/* The course site's behaviour, on every page (index and notebooks), written against the rendered
 * DOM so it works whatever the notebook outputs look like: the contents sidebar and the section
 * in view, search over a prebuilt index, dark mode (figures included), hiding and copying code,
 * heading anchors, and figures that name what they show and follow the page's width.
 * A classic script (no modules, no fetch): pages are opened from file:// too. */
(function () {
  "use strict";
  var root = document.documentElement;
  var ASSETS = (document.currentScript && document.currentScript.src.replace(/site\.js(\?.*)?$/, "")) || "assets/";

  function store(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      localStorage.setItem(key, value);
    } catch {
      /* storage blocked: the choice lasts for this page only */
    }
    return null;
  }
  function all(selector, within) {
    return Array.prototype.slice.call((within || document).querySelectorAll(selector));
  }
  function button(label, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "mbrl-button " + className;
    b.textContent = label;
    return b;
  }
  /** Text of an element without anchor links and MathJax's rendering (its TeX source stays). */
  function plainText(el) {
    var copy = el.cloneNode(true);
    all(".anchor-link, .MathJax, .MathJax_CHTML, .MathJax_Preview, .mjx-chtml", copy).forEach(function (n) {
      n.remove();
    });
    all('script[type^="math/tex"]', copy).forEach(function (s) {
      s.replaceWith("$" + s.textContent + "$");
    });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  /* ---------- Figures: a text alternative, the page's theme, the page's width ---------- */
  var DARK = { paper: "#1b1d23", plot: "#1b1d23", text: "#e3e3e3", grid: "#3b3f48", line: "#9aa0aa" };

  function titleText(t) {
    var s = typeof t === "string" ? t : t && t.text;
    return s
      ? String(s)
          .replace(/<[^>]+>/g, " ")
          .replace(/\s+/g, " ")
          .trim()
      : "";
  }
  /** "Figure: T. x axis: X; y axis: Y." from the figure's layout, for screen readers. */
  function describe(gd) {
    var layout = gd.layout || {};
    var axes = Object.keys(layout)
      .filter(function (k) {
        return /^[xy]axis\d*$/.test(k);
      })
      .sort();
    var named = axes
      .map(function (k) {
        var t = titleText(layout[k].title);
        return t ? k.charAt(0) + " axis: " + t : "";
      })
      .filter(Boolean);
    var title = titleText(layout.title) || "untitled";
    return "Figure: " + title + "." + (named.length ? " " + named.join("; ") + "." : "");
  }
  /** The figure's own template with dark colours laid over it; plotly.js applies it to every axis. */
  function darkTemplate(own) {
    var layout = Object.assign({}, (own && own.layout) || {});
    var axis = { gridcolor: DARK.grid, linecolor: DARK.line, zerolinecolor: DARK.line, tickcolor: DARK.line };
    layout.paper_bgcolor = DARK.paper;
    layout.plot_bgcolor = DARK.plot;
    layout.font = Object.assign({}, layout.font || {}, { color: DARK.text });
    layout.xaxis = Object.assign({}, layout.xaxis || {}, axis);
    layout.yaxis = Object.assign({}, layout.yaxis || {}, axis);
    layout.legend = Object.assign({}, layout.legend || {}, { bgcolor: "rgba(0,0,0,0)" });
    return { data: (own && own.data) || {}, layout: layout };
  }
  function themeFigure(gd) {
    var theme = root.getAttribute("data-theme");
    if (!window.Plotly || !gd._fullLayout || gd._mbrlTheme === theme) return;
    if (!("_mbrlOwnTemplate" in gd)) {
      gd._mbrlOwnTemplate = gd.layout.template || null;
      if (theme === "light") {
        gd._mbrlTheme = theme;
        return;
      } // drawn light already
    }
    gd._mbrlTheme = theme;
    window.Plotly.relayout(gd, {
      template: theme === "dark" ? darkTemplate(gd._mbrlOwnTemplate) : gd._mbrlOwnTemplate,
    });
  }
  function decorateFigure(gd) {
    if (!gd._mbrlLabelled) {
      gd.setAttribute("role", "figure");
      gd.setAttribute("aria-label", describe(gd));
      all(".modebar-btn", gd).forEach(function (b) {
        if (!b.getAttribute("aria-label")) b.setAttribute("aria-label", b.getAttribute("data-title") || "chart tool");
      });
      gd._mbrlLabelled = true;
    }
    themeFigure(gd);
  }
  function figures() {
    return all(".js-plotly-plot");
  }
  function decorateFigures() {
    figures().forEach(decorateFigure);
  }
  function watchFigures() {
    decorateFigures();
    // Figures draw when plotly.js arrives, possibly after this script: catch them as they appear.
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        decorateFigures();
      });
    }).observe(document.body, { subtree: true, childList: true });
    var resizing;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () {
        figures().forEach(function (gd) {
          if (window.Plotly) window.Plotly.Plots.resize(gd);
        });
      }, 150);
    });
  }

  /* ---------- Dark mode: the system's choice until the reader picks one, then remembered ---------- */
  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    all(".mbrl-theme-toggle").forEach(function (b) {
      b.setAttribute("aria-pressed", String(theme === "dark"));
    });
    figures().forEach(themeFigure);
  }
  function initTheme() {
    setTheme(root.getAttribute("data-theme") === "dark" ? "dark" : "light");
    all(".mbrl-theme-toggle").forEach(function (b) {
      b.addEventListener("click", function () {
        var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
        store("mbrl-theme", next);
        setTheme(next);
      });
    });
    if (window.matchMedia) {
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function (e) {
        if (!store("mbrl-theme")) setTheme(e.matches ? "dark" : "light");
      });
    }
  }

  /* ---------- Code cells: hide all or one, copy ---------- */
  function codeHidden(cell) {
    if (cell.classList.contains("mbrl-code-shown")) return false;
    return cell.classList.contains("mbrl-code-hidden") || root.classList.contains("mbrl-hide-code");
  }
  function refreshCodeButtons() {
    all(".jp-CodeCell").forEach(function (cell) {
      var b = cell.querySelector(".mbrl-cell-hide");
      var hidden = codeHidden(cell);
      cell.classList.toggle("mbrl-input-hidden", hidden);
      if (b) {
        b.textContent = hidden ? "Show code" : "Hide code";
        b.setAttribute("aria-expanded", String(!hidden));
      }
    });
    var globalHidden = root.classList.contains("mbrl-hide-code");
    all(".mbrl-code-toggle").forEach(function (b) {
      b.setAttribute("aria-pressed", String(globalHidden));
      b.textContent = globalHidden ? "Show code" : "Hide code";
    });
  }
  function copyText(text, done) {
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok;
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      area.remove();
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext)
      navigator.clipboard.writeText(text).then(function () {
        done(true);
      }, fallback);
    else fallback();
  }
  function initCode() {
    var cells = all(".jp-CodeCell");
    cells.forEach(function (cell, i) {
      var input = cell.querySelector(".jp-Cell-inputWrapper");
      if (!input) return;
      input.id = input.id || "mbrl-code-" + i;
      var tools = document.createElement("div");
      tools.className = "mbrl-cell-tools";
      var hide = button("Hide code", "mbrl-cell-hide");
      hide.setAttribute("aria-controls", input.id);
      hide.addEventListener("click", function () {
        var hidden = codeHidden(cell);
        cell.classList.toggle("mbrl-code-shown", hidden);
        cell.classList.toggle("mbrl-code-hidden", !hidden);
        refreshCodeButtons();
      });
      var copy = button("Copy", "mbrl-cell-copy");
      copy.setAttribute("aria-label", "Copy this cell's code");
      copy.addEventListener("click", function () {
        var pre = cell.querySelector(".jp-InputArea-editor pre") || cell.querySelector(".jp-InputArea-editor");
        copyText(pre ? pre.textContent : "", function (ok) {
          copy.textContent = ok ? "Copied" : "Copy failed";
          setTimeout(function () {
            copy.textContent = "Copy";
          }, 1500);
        });
      });
      tools.appendChild(copy);
      tools.appendChild(hide);
      cell.insertBefore(tools, input);
    });
    all(".mbrl-code-toggle").forEach(function (b) {
      b.addEventListener("click", function () {
        var hide = !root.classList.contains("mbrl-hide-code");
        root.classList.toggle("mbrl-hide-code", hide);
        cells.forEach(function (c) {
          c.classList.remove("mbrl-code-shown", "mbrl-code-hidden");
        });
        store("mbrl-hide-code", hide ? "1" : "0");
        refreshCodeButtons();
      });
    });
    refreshCodeButtons();
  }

  /* ---------- Boxes that scroll (wide code, tables, equations) take keyboard focus, so keyboard
   * users can scroll them too; checked again when widths change. ---------- */
  var SCROLLERS =
    ".jp-InputArea-editor, .jp-OutputArea-output, .jp-RenderedText pre, .MathJax_CHTML_Display, .MJXc-display";
  function scrolls(el) {
    var style = getComputedStyle(el);
    var can = function (overflow) {
      return overflow === "auto" || overflow === "scroll";
    };
    return (
      (el.scrollWidth > el.clientWidth && can(style.overflowX)) ||
      (el.scrollHeight > el.clientHeight && can(style.overflowY))
    );
  }
  function markScrollers() {
    all(SCROLLERS).forEach(function (el) {
      var yes = scrolls(el);
      if (yes && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-mbrl-scroller", "");
      }
      if (!yes && el.hasAttribute("data-mbrl-scroller")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-mbrl-scroller");
      }
    });
  }
  function initScrollers() {
    markScrollers();
    window.addEventListener("load", markScrollers); // MathJax and figures change widths after this script
    var waiting;
    window.addEventListener("resize", function () {
      clearTimeout(waiting);
      waiting = setTimeout(markScrollers, 200);
    });
  }

  /* ---------- Headings: anchor links, and the sidebar's sections with the one in view ---------- */
  function pageHeadings() {
    return all(".jp-RenderedMarkdown h2[id], .jp-RenderedMarkdown h3[id]");
  }
  function initAnchors() {
    all("a.anchor-link").forEach(function (a) {
      var h = a.parentElement;
      a.setAttribute("aria-label", "Link to this section" + (h ? ": " + plainText(h) : ""));
    });
  }
  function initSections() {
    var list = document.querySelector(".mbrl-current .mbrl-sections");
    var headings = pageHeadings();
    if (!list || headings.length === 0) return;
    var links = headings.map(function (h) {
      var li = document.createElement("li");
      li.className = "mbrl-level-" + h.tagName.charAt(1);
      var a = document.createElement("a");
      a.href = "#" + h.id;
      a.textContent = plainText(h);
      li.appendChild(a);
      list.appendChild(li);
      return a;
    });
    var active = -1;
    function follow() {
      var offset = (document.querySelector(".mbrl-topbar") || { offsetHeight: 0 }).offsetHeight + 24;
      var current = 0;
      headings.forEach(function (h, i) {
        if (h.getBoundingClientRect().top <= offset) current = i;
      });
      if (current === active) return;
      if (active >= 0) {
        links[active].classList.remove("mbrl-active");
        links[active].removeAttribute("aria-current");
      }
      links[current].classList.add("mbrl-active");
      links[current].setAttribute("aria-current", "location");
      active = current;
    }
    var queued = false;
    window.addEventListener(
      "scroll",
      function () {
        if (queued) return;
        queued = true;
        window.requestAnimationFrame(function () {
          queued = false;
          follow();
        });
      },
      { passive: true },
    );
    follow();
  }

  /* ---------- Sidebar on narrow screens ---------- */
  function initMenu() {
    var menu = document.querySelector(".mbrl-menu");
    var sidebar = document.getElementById("mbrl-sidebar");
    if (!menu || !sidebar) return;
    function open(yes) {
      root.classList.toggle("mbrl-sidebar-open", yes);
      menu.setAttribute("aria-expanded", String(yes));
      if (yes) {
        var first = sidebar.querySelector("a");
        if (first) first.focus();
      }
    }
    menu.addEventListener("click", function () {
      open(!root.classList.contains("mbrl-sidebar-open"));
    });
    sidebar.addEventListener("click", function (e) {
      if (e.target.closest("a")) open(false);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && root.classList.contains("mbrl-sidebar-open")) {
        open(false);
        menu.focus();
      }
    });
  }

  /* ---------- Search: MiniSearch over a prebuilt index, both loaded by <script> on first use ---------- */
  var searchReady;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(s);
    });
  }
  function loadSearch() {
    searchReady =
      searchReady ||
      loadScript(ASSETS + "minisearch.js")
        .then(function () {
          return loadScript(ASSETS + "search-index.js");
        })
        .then(function () {
          return window.MiniSearch.loadJS(window.MBRL_SEARCH.index, window.MBRL_SEARCH.options);
        });
    return searchReady;
  }
  var SEARCH_OPTIONS = {
    boost: { heading: 3, title: 2, text: 1, code: 0.6 },
    prefix: true,
    fuzzy: 0.15,
    combineWith: "AND",
  };
  function initSearch() {
    var input = document.getElementById("mbrl-search-input");
    var box = document.getElementById("mbrl-search-results");
    if (!input || !box) return;
    function show(yes) {
      box.hidden = !yes;
    }
    function render(query, hits) {
      box.textContent = "";
      var status = document.createElement("p");
      status.className = "mbrl-search-status";
      status.setAttribute("role", "status");
      status.textContent = hits.length
        ? hits.length + (hits.length === 1 ? " section" : " sections") + " match “" + query + "”"
        : "Nothing matches “" + query + "”";
      box.appendChild(status);
      var list = document.createElement("ol");
      hits.slice(0, 12).forEach(function (hit) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = hit.href;
        a.className = "mbrl-search-hit";
        var where = document.createElement("span");
        where.className = "mbrl-search-where";
        where.textContent = hit.title + (hit.heading && hit.heading !== hit.title ? " › " + hit.heading : "");
        var excerpt = document.createElement("span");
        excerpt.className = "mbrl-search-excerpt";
        excerpt.textContent = hit.excerpt;
        a.appendChild(where);
        a.appendChild(excerpt);
        li.appendChild(a);
        list.appendChild(li);
      });
      box.appendChild(list);
      show(true);
    }
    function run() {
      var query = input.value.trim();
      if (!query) {
        show(false);
        return;
      }
      loadSearch().then(
        function (index) {
          if (input.value.trim() === query) render(query, index.search(query, SEARCH_OPTIONS));
        },
        function (e) {
          box.textContent = "Search is unavailable: " + e.message;
          show(true);
        },
      );
    }
    input.addEventListener("focus", function () {
      loadSearch().catch(function () {
        /* reported on typing */
      });
    });
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        input.value = "";
        show(false);
      }
      if (e.key === "ArrowDown" || (e.key === "Enter" && !box.hidden)) {
        var first = box.querySelector("a");
        if (first) {
          e.preventDefault();
          if (e.key === "Enter") first.click();
          else first.focus();
        }
      }
    });
    box.addEventListener("keydown", function (e) {
      var hits = all("a", box);
      var i = hits.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < hits.length - 1) {
        e.preventDefault();
        hits[i + 1].focus();
      }
      if (e.key === "ArrowUp") {
        e.preventDefault();
        (i > 0 ? hits[i - 1] : input).focus();
      }
      if (e.key === "Escape") {
        show(false);
        input.focus();
      }
    });
    box.addEventListener("click", function (e) {
      if (e.target.closest("a")) show(false);
    });
    document.addEventListener("click", function (e) {
      if (!e.target.closest(".mbrl-search")) show(false);
    });
  }

  function init() {
    initTheme();
    initMenu();
    initSearch();
    initCode();
    initAnchors();
    initSections();
    initScrollers();
    watchFigures();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
