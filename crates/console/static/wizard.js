// kube-ecs console: the task-definition wizard's live validation, JSON tab and tabs. The form works
// without this script (its buttons post it); with it, every change is sent to the console, which
// asks the apiserver for a dry run as the signed-in user and answers the spec's JSON and the
// apiserver's messages by input. Messages are set as text (textContent), never as markup; the only
// markup taken is the form's inputs that the console rendered (escaped) from the JSON tab.
"use strict";
(function () {
  var form = document.getElementById("td-wizard");
  if (!form) return;
  var jsonBox = document.getElementById("td-json");
  var fields = document.getElementById("wizard-fields");
  var general = document.getElementById("form-error");
  var status = document.getElementById("validation");
  var jsonError = document.getElementById("json-error");
  var csrf = form.querySelector("input[name=_csrf]").value;
  var timer = null;
  var jsonTimer = null;
  var sequence = 0;

  function paragraph(text, className) {
    var p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  // Places the apiserver's messages beside the inputs they name; the rest above the form.
  function show(errors) {
    var boxes = {};
    form.querySelectorAll(".field-errors").forEach(function (box) {
      box.textContent = "";
      boxes[box.getAttribute("data-for")] = box;
    });
    general.textContent = "";
    var left = (errors.general || []).slice();
    Object.keys(errors.fields || {}).forEach(function (input) {
      errors.fields[input].forEach(function (message) {
        if (boxes[input]) boxes[input].appendChild(paragraph(message, "field-error"));
        else left.push(message);
      });
    });
    left.forEach(function (message) { general.appendChild(paragraph(message)); });
    general.hidden = left.length === 0;
  }

  function validate() {
    var mine = ++sequence;
    status.textContent = "Checking with the apiserver (dry run)…";
    fetch(form.getAttribute("data-validate"), {
      method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin"
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine !== sequence) return; // a newer check is on its way
        if (document.activeElement !== jsonBox) jsonBox.value = answer.json;
        show(answer.errors);
        var accepted = answer.status === 200;
        status.textContent = accepted
          ? "The apiserver accepts this definition (dry run)."
          : "The apiserver refuses this definition (dry run, " + answer.status + "): see the messages.";
        form.setAttribute("data-valid", accepted ? "true" : "false");
        form.setAttribute("data-validated", String(mine));
      })
      .catch(function (error) { status.textContent = "Could not check: " + error; });
  }

  // A renamed container keeps its name on its legend and on the others' dependsOn labels.
  form.addEventListener("input", function (event) {
    var match = /^c(\d+)\.name$/.exec(event.target.id || "");
    if (!match) return;
    var index = Number(match[1]);
    var name = event.target.value;
    var legend = form.querySelector('fieldset[data-container="' + index + '"] > legend');
    if (legend) legend.textContent = "Container " + (index + 1) + (name ? " — " + name : "");
    form.querySelectorAll('label[for$=".dep.' + index + '"]').forEach(function (label) {
      label.textContent = "Container " + (index + 1) + (name ? " (" + name + ")" : "") + " ";
    });
  });

  function later() {
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);

  // The JSON tab's way back: the console renders the form's inputs from the JSON.
  function applyJson() {
    var data = new URLSearchParams();
    data.set("_csrf", csrf);
    data.set("json", jsonBox.value);
    fetch(form.getAttribute("data-from-json"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.text().then(function (text) { return { ok: response.ok, text: text }; }); })
      .then(function (answer) {
        if (!answer.ok) { jsonError.textContent = answer.text; return; }
        jsonError.textContent = "";
        fields.innerHTML = answer.text; // rendered and escaped by the console (maud)
        validate();
      });
  }
  document.getElementById("json-to-form").addEventListener("click", applyJson);
  jsonBox.addEventListener("input", function () {
    clearTimeout(jsonTimer);
    jsonTimer = setTimeout(function () {
      try { JSON.parse(jsonBox.value); } catch (e) { jsonError.textContent = String(e); return; }
      applyJson();
    }, 500);
  });

  var tabs = document.querySelectorAll("nav.wizard-tabs button");
  function open(id) {
    ["form-tab", "json-tab"].forEach(function (tab) { document.getElementById(tab).hidden = tab !== id; });
    tabs.forEach(function (button) { button.classList.toggle("current", button.getAttribute("data-tab") === id); });
  }
  tabs.forEach(function (button) {
    button.addEventListener("click", function () { open(button.getAttribute("data-tab")); });
  });
  open("form-tab");
  validate();
})();
