// The New request wizard: one step at a time (without JS every step shows
// and the form still works), the live naming-policy preview, the people
// picker (an ARIA combobox) and the review.
"use strict";
(function () {
  var form = document.getElementById("wizard");
  if (!form) return;
  var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
  var marks = Array.prototype.slice.call(form.querySelectorAll(".steps li"));
  var back = form.querySelector(".back"), next = form.querySelector(".next"), submit = form.querySelector(".submit");
  var current = 0;
  form.classList.add("js");

  function show(i) {
    current = i;
    steps.forEach(function (s, j) { s.hidden = j !== i; });
    marks.forEach(function (m, j) { if (j === i) m.setAttribute("aria-current", "step"); else m.removeAttribute("aria-current"); });
    back.hidden = i === 0;
    next.hidden = i === steps.length - 1;
    submit.hidden = i !== steps.length - 1;
    if (i === steps.length - 1) review();
    var focus = steps[i].querySelector("input:not([type=hidden]), select, textarea") || steps[i].querySelector("legend");
    if (focus && focus.focus) focus.focus();
  }
  back.addEventListener("click", function () { show(Math.max(0, current - 1)); });
  next.addEventListener("click", function () {
    var bad = steps[current].querySelector(":invalid");
    if (bad) { bad.setAttribute("aria-invalid", "true"); bad.focus(); if (bad.reportValidity) bad.reportValidity(); return; }
    show(Math.min(steps.length - 1, current + 1));
  });
  // After a refused submit the server's message is on top: start at the
  // step that holds the field it names, else at the name.
  show(document.getElementById("form-error") ? 1 : 0);

  // Live preview of the final name.
  var name = document.getElementById("name"), out = document.getElementById("name-preview");
  var timer = null, seq = 0;
  function fields() {
    var f = {};
    form.querySelectorAll("[name^='field.']").forEach(function (el) { f[el.name.slice(6)] = el.value; });
    return f;
  }
  function preview() {
    var mine = ++seq;
    window.stewardFetch("/app/api/name-preview", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ template: form.dataset.template, name: name.value, fields: fields() })
    }).then(function (r) { return r.json(); }).then(function (res) {
      if (mine !== seq) return;
      out.textContent = "";
      if (res.error) { out.textContent = res.error.message; return; }
      var line = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = res.displayName;
      line.appendChild(document.createTextNode(out.dataset.label || ""));
      line.appendChild(strong);
      line.appendChild(document.createTextNode(" (" + res.mailNickname + ")"));
      if (res.valid) strong.className = "ok";
      out.appendChild(line);
      if (!res.valid) {
        var ul = document.createElement("ul");
        res.problems.forEach(function (p) { var li = document.createElement("li"); li.textContent = p; ul.appendChild(li); });
        out.appendChild(ul);
      }
      name.setAttribute("aria-invalid", res.valid ? "false" : "true");
    }).catch(function () {});
  }
  if (name) {
    name.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 250); });
    if (name.value) preview();
  }

  // People pickers.
  form.querySelectorAll(".picker").forEach(function (picker) {
    var input = picker.querySelector("input[role=combobox]");
    var list = picker.querySelector("[role=listbox]");
    var picked = picker.querySelector(".picked");
    var field = picker.dataset.name;
    var options = [], active = -1, ptimer = null;

    function has(id) { return !!picked.querySelector("input[value='" + CSS.escape(id) + "']"); }
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
    function add(p) {
      if (!has(p.id)) {
        var li = document.createElement("li"); li.className = "chip";
        var span = document.createElement("span"); span.textContent = p.name; li.appendChild(span);
        var hid = document.createElement("input"); hid.type = "hidden"; hid.name = field; hid.value = p.id; li.appendChild(hid);
        var rm = document.createElement("button"); rm.type = "button"; rm.className = "remove"; rm.textContent = "×";
        rm.setAttribute("aria-label", (picker.dataset.removeLabel || "Remove") + " " + p.name);
        li.appendChild(rm); picked.appendChild(li);
      }
      input.value = ""; close(); input.focus();
    }
    picked.addEventListener("click", function (e) {
      if (e.target.classList.contains("remove")) { e.target.parentNode.remove(); input.focus(); }
    });
    function render() {
      list.textContent = "";
      options.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = picker.dataset.name + "-opt-" + i; li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.textContent = p.name;
        var sub = document.createElement("span"); sub.className = "sub";
        sub.textContent = p.mail + (p.title ? " · " + p.title : "") + (p.guest ? " · guest" : "");
        li.appendChild(sub);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); add(p); });
        list.appendChild(li);
      });
      var open = options.length > 0;
      list.hidden = !open; input.setAttribute("aria-expanded", open ? "true" : "false");
      if (active >= 0) input.setAttribute("aria-activedescendant", picker.dataset.name + "-opt-" + active);
    }
    input.addEventListener("input", function () {
      clearTimeout(ptimer);
      var q = input.value.trim();
      if (q.length < 2) { options = []; close(); return; }
      ptimer = setTimeout(function () {
        fetch("/app/api/people?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (res) { options = (res.people || []).filter(function (p) { return !has(p.id); }); active = options.length ? 0 : -1; render(); })
          .catch(function () {});
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = (active + 1) % options.length; render(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = (active - 1 + options.length) % options.length; render(); e.preventDefault(); }
      else if (e.key === "Enter") { if (active >= 0) { add(options[active]); } e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  });

  // The review step lists what will be sent.
  function review() {
    var dl = document.getElementById("review");
    dl.textContent = "";
    function row(label, value) {
      var dt = document.createElement("dt"); dt.textContent = label;
      var dd = document.createElement("dd"); dd.textContent = value || "—";
      dl.appendChild(dt); dl.appendChild(dd);
    }
    steps.forEach(function (s) {
      s.querySelectorAll("input:not([type=hidden]):not([role=combobox]), select, textarea").forEach(function (el) {
        var label = form.querySelector("label[for='" + el.id + "']");
        if (label) row(label.textContent.trim(), el.value);
      });
      s.querySelectorAll(".picker").forEach(function (p) {
        var names = Array.prototype.map.call(p.querySelectorAll(".chip span"), function (x) { return x.textContent; });
        row(p.querySelector("label").textContent.trim(), names.join(", "));
      });
    });
  }
})();
