/* Behaviour every page may use. Pages carry no inline scripts or event handlers (onchange=...):
   the Content-Security-Policy refuses them (issue 13), so they are wired here from data attributes.
   A year select no longer submits on change (WCAG 3.2.2, issue 15): its form has a visible "Toon" button. */
(function () {
  "use strict";

  // Whether the user moved a select away from the option the server rendered as chosen.
  function changedSinceRender(select) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].defaultSelected) { return select.selectedIndex !== i; }
    }
    return select.selectedIndex > 0;
  }

  // Whether the user already typed in, or ticked, a field of `form` (selects aside).
  function editedSinceRender(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
      return (field.tagName === "INPUT" || field.tagName === "TEXTAREA") && field.type !== "hidden"
        && field.value !== field.defaultValue;
    });
  }

  window.kwaliteit = {
    /* Run `fill` whenever one of `selects` changes. A page script is deferred, so on a slow line the
       user (or a test) can choose before it runs and that "change" event is gone: fill at once then,
       or the form keeps an empty share that the user believes was filled in. A choice the server
       rendered (a form sent back with an error) is left alone, so the user's own values stay; so is
       a form the user already typed in after choosing, before the script ran. */
    onChoice: function (selects, fill) {
      selects.forEach(function (select) { select.addEventListener("change", fill); });
      if (selects.some(changedSinceRender) && !editedSinceRender(selects[0].form)) { fill(); }
    }
  };

  /* A form sent back with errors: its summary (agenda/_form_errors.html) can sit below the fold, as the
     teams page's add form does, and a sighted user then saw the same page and no error. Focus the first
     summary, which brings it into view and has a screen reader read it; its links lead to each field
     (WCAG 3.3.1). */
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.tabIndex = -1;
    summary.focus();
  }
})();
