// Back office: type-ahead pickers for products and articles. Progressive enhancement only:
// without this file the forms still take slugs typed by hand (checked by the server).
//
// Markup (templates/staff/_picker.html): a hidden <div data-picker> holding a search box
// and an empty list. data-picker-url answers {"results": [{"slug", "name"}]};
// data-picker-target is the id of the field the choice goes into; data-picker-mode is
// "list" (add the slug to a comma-separated list) or "embed" (insert [[kind:slug]] at the
// cursor of a Markdown text area).
(function () {
  "use strict";

  var DELAY_MS = 150;

  function addToList(field, slug) {
    var slugs = field.value.split(/[\s,]+/).filter(Boolean);
    if (slugs.indexOf(slug) === -1) slugs.push(slug);
    field.value = slugs.join(", ");
  }

  function insertEmbed(area, text) {
    // Embeds are paragraphs of their own: blank lines around, none doubled.
    var start = area.selectionStart, end = area.selectionEnd;
    var before = area.value.slice(0, start), after = area.value.slice(end);
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    area.value = before + lead + text + tail + after;
    var cursor = (before + lead + text).length;
    area.focus();
    area.setSelectionRange(cursor, cursor);
  }

  function setUp(box) {
    var input = box.querySelector("input");
    var list = box.querySelector("ul");
    var target = document.getElementById(box.getAttribute("data-picker-target"));
    var mode = box.getAttribute("data-picker-mode");
    var kind = box.getAttribute("data-picker-kind");
    var url = box.getAttribute("data-picker-url");
    var timer = null, active = -1, results = [], asked = 0;
    if (!input || !list || !target || !url) return;

    function close() {
      results = [];
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("li");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (item, n) { item.setAttribute("aria-selected", String(n === active)); });
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function choose(index) {
      var chosen = results[index];
      if (!chosen) return;
      if (mode === "embed") insertEmbed(target, "[[" + kind + ":" + chosen.slug + "]]");
      else addToList(target, chosen.slug);
      input.value = "";
      close();
      target.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(found, q) {
      results = found;
      list.textContent = "";
      list.setAttribute("data-for", q);
      found.forEach(function (row, n) {
        var item = document.createElement("li");
        item.id = input.id + "-option-" + n;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.setAttribute("data-slug", row.slug);
        item.textContent = row.name + " (" + row.slug + ")";
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the text area's cursor where it was
          choose(n);
        });
        list.appendChild(item);
      });
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.textContent = "Nothing matches.";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function ask() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) { if (ticket === asked) show(body.results || [], q); })
        .catch(function () { if (ticket === asked) close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter") {
        event.preventDefault(); // never submit the form from the search box
        choose(active === -1 ? 0 : active);
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    box.hidden = false;
  }

  document.querySelectorAll("[data-picker]").forEach(setUp);
})();
