/* Document downloads (jaarverslag, midterm-review): generating takes seconds, so the button says
   "bezig..." until the file arrives. The form posts a random token; the response sets it as the
   cookie `document_token`, and when that cookie appears the download has started. */
(function () {
  "use strict";
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? match[1] : null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-document]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var button = event.submitter || form.querySelector("button");
        var token = Math.random().toString(36).slice(2) + Date.now().toString(36);
        form.querySelector("input[name=token]").value = token;
        var label = button.textContent;
        // Disabled after the browser has read the form: a disabled button would not send its value.
        window.setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
          button.textContent = "Bezig met maken…";
          form.setAttribute("aria-busy", "true");
          var status = form.querySelector("[role=status]");
          if (status) { status.textContent = "Het document wordt gemaakt; dat duurt enkele seconden."; }
        }, 0);
        var timer = window.setInterval(function () {
          if (cookie("document_token") === token) {
            window.clearInterval(timer);
            form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
            button.textContent = label;
            form.removeAttribute("aria-busy");
            var done = form.querySelector("[role=status]");
            if (done) { done.textContent = "Klaar: het document is gedownload."; }
          }
        }, 500);
      });
    });
  });
})();
