// Keyboard and screen-reader care for htmx pages (WCAG 2.2.2, 2.4.3, 3.3.1), loaded by base.html.
//
// 1. Focus survives a swap: when htmx replaces the element that had focus, focus goes to the new
//    element with the same id (give focusable things in swapped regions stable ids), never <body>.
// 2. Polling waits: a region marked `data-poll` (with `hx-trigger="every …"`) skips its refresh while
//    focus is inside it, while the tab is hidden, or while a `data-poll-toggle="<its id>"` button has
//    paused it; the pause survives the region's own outerHTML swaps.
// 3. An error summary (`templates/forms.html`) takes focus when a page or a swap brings one.
(function () {
  "use strict";
  var paused = {};
  var focusedId = null;

  function pollPaused(region) {
    if (paused[region.id]) return true;
    if (document.hidden) return true;
    var active = document.activeElement;
    return active !== null && active !== document.body && region.contains(active);
  }

  function showToggle(button) {
    var on = paused[button.getAttribute("data-poll-toggle")] === true;
    button.textContent = on ? button.getAttribute("data-resume-label") : button.getAttribute("data-pause-label");
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (status) status.textContent = on ? status.getAttribute("data-paused-text") : status.getAttribute("data-running-text");
  }

  function focusNewSummary() {
    var summary = document.querySelector("[data-error-summary]:not([data-seen])");
    if (!summary) return false;
    summary.setAttribute("data-seen", "");
    summary.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-poll-toggle]") : null;
    if (!button) return;
    var id = button.getAttribute("data-poll-toggle");
    paused[id] = !paused[id];
    showToggle(button);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    // A filter form targeting the region is its own element: only the region's poll is held back.
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-poll") && pollPaused(elt)) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    focusedId = active && active !== document.body && active.id ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (focusNewSummary()) return;
    var active = document.activeElement;
    var lost = !active || active === document.body || !document.body.contains(active);
    if (lost && focusedId) {
      var again = document.getElementById(focusedId);
      if (again) again.focus({ preventScroll: true });
    }
    focusedId = null;
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-toggle]").forEach(showToggle);
    focusNewSummary();
  });
})();
