/* Upload pages: a static file, not an inline script, so the Content-Security-Policy can
   refuse every inline script (issue 13). */
// Progress feedback (issue 4): a large file takes seconds to check or store; say so and block a second submit.
(function () {
  var forms = document.querySelectorAll("form[data-busy]");
  function reset() {
    forms.forEach(function (form) {
      form.dataset.sent = "";
      var status = form.querySelector("[data-busy-status]");
      if (status) { status.textContent = ""; status.classList.remove("is-busy"); }
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.removeAttribute("aria-disabled"); });
    });
  }
  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      // One request at a time: confirming and cancelling the same preview exclude each other.
      forms.forEach(function (other) {
        other.dataset.sent = "1";
        other.querySelectorAll("button[type=submit]").forEach(function (button) { button.setAttribute("aria-disabled", "true"); });
      });
      var status = form.querySelector("[data-busy-status]");
      if (status) { status.textContent = form.dataset.busy; status.classList.add("is-busy"); }
    });
  });
  // Coming back through the browser's history shows the page as it was left: make it usable again.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { reset(); } });
  var first = document.querySelector("[data-focus-first]");
  if (first) { first.focus(); }
})();
