// Drag a booking to another day of its room's row in the week calendar: the drop fills in the
// booking's own move form (day changed, times kept) and submits it, so the server's rules decide
// as for the keyboard way (the form under "이동" in each booking).
(function () {
  "use strict";
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var entry = event.target.closest && event.target.closest("[data-move-booking]");
    if (!entry) return;
    dragged = entry;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.dataset.moveBooking);
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (cell) { cell.classList.remove("drop-target"); });
  });
  function cellFor(event) {
    var cell = event.target.closest && event.target.closest("[data-drop-day]");
    if (!cell || !dragged || cell.dataset.dropRoom !== dragged.dataset.moveRoom) return null;
    return cell;
  }
  document.addEventListener("dragover", function (event) {
    var cell = cellFor(event);
    if (!cell) return;
    event.preventDefault();
    cell.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var cell = event.target.closest && event.target.closest("[data-drop-day]");
    if (cell) cell.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var cell = cellFor(event);
    if (!cell) return;
    event.preventDefault();
    var form = document.querySelector('[data-move-form="' + dragged.dataset.moveBooking + '"]');
    if (!form) return;
    form.querySelector('[name="day"]').value = cell.dataset.dropDay;
    form.submit();
  });
})();
