/* Client-facing questionnaire pages (tablet and remote link). Progressive enhancement only:
   every page also works without JavaScript. No data is kept in the browser. */
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  var csrf = document.querySelector('meta[name="csrf-token"]');

  function autosave(input) {
    var form = input.form;
    if (!form || !form.dataset.autosaveUrl || !input.name || input.value === "") return;
    var data = new FormData();
    data.append("csrf_token", csrf ? csrf.content : "");
    data.append("code", form.dataset.code || "");
    data.append(input.name, input.value);
    fetch(form.dataset.autosaveUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.content : "" }
    }).then(function (response) {
      if (response.status === 409) window.location.reload();  // the tablet was locked meanwhile
    }).catch(function () { /* the answer is sent again with the page */ });
  }

  function oneDecimal(value) { return Number(value).toFixed(1); }

  function setUpSlider(box) {
    var slider = box.querySelector(".vas-slider");
    var number = box.querySelector('input[type="number"]');
    var output = box.querySelector("[data-vas-output]");
    if (!slider || !number) return;
    slider.hidden = false;
    function fromSlider(save) {
      var value = oneDecimal(slider.value);
      number.value = value;
      output.textContent = value;
      slider.classList.remove("unset");
      slider.setAttribute("aria-valuetext", value);
      if (save) autosave(number);
    }
    slider.addEventListener("input", function () { fromSlider(false); });
    slider.addEventListener("change", function () { fromSlider(true); });
    slider.addEventListener("pointerup", function () { fromSlider(true); });
    number.addEventListener("change", function () {
      if (number.value === "") return;
      slider.value = number.value;
      fromSlider(true);
    });
  }

  function setUpIdleTimer() {
    var seconds = Number(document.body.dataset.idleSeconds || 0);
    var target = document.body.dataset.idleUrl;
    if (!seconds || !target) return;
    var timer = null;
    function restart() {
      if (timer) window.clearTimeout(timer);
      // A little after the server's limit, so the kiosk page shows the lock screen.
      timer = window.setTimeout(function () { window.location.assign(target); }, (seconds + 3) * 1000);
    }
    ["change", "input"].forEach(function (name) { document.addEventListener(name, restart, true); });
    restart();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-vas]").forEach(setUpSlider);
    document.querySelectorAll('input[type="radio"][data-autosave]').forEach(function (input) {
      input.addEventListener("change", function () { autosave(input); });
    });
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector('button[type="submit"]');
        if (button) window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
    // Bar widths are set here, not in a style attribute (the Content-Security-Policy).
    document.querySelectorAll(".bar[data-percent]").forEach(function (bar) {
      bar.style.setProperty("--w", Number(bar.dataset.percent) + "%");
    });
    setUpIdleTimer();
  });

  // Never show a page from the back/forward cache: ask the server, which knows the state.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
