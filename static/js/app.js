/* Behaviour every page may use. Pages carry no inline scripts or event handlers (onchange=...):
   the Content-Security-Policy refuses them (issue 13), so they are wired here from data attributes. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // A year picker submits its form as soon as a year is chosen (the <noscript> button otherwise).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
