// The week calendar by hand (managers):
// - drag a booking to another day or another room's row: the drop fills in the booking's own move
//   form (day and room changed, times kept) and submits it, so the server's rules decide as for the
//   keyboard way (the form under "옮기기" in each booking, whose room field offers the week's rooms);
// - drag over a room's free days: the "new block" form above the calendar opens with that room and
//   those days filled in, for the manager to give a reason and confirm (the button is the keyboard way).
(function () {
  "use strict";
  var dragged = null;
  function formFor(entry) {
    return document.querySelector('[data-move-form="' + entry.dataset.moveBooking + '"]');
  }
  function clearMarks(name) {
    document.querySelectorAll("." + name).forEach(function (cell) { cell.classList.remove(name); });
  }
  document.addEventListener("dragstart", function (event) {
    var entry = event.target.closest && event.target.closest("[data-move-booking]");
    if (!entry) return;
    dragged = entry;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.dataset.moveBooking);
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    clearMarks("drop-target");
  });
  function cellFor(event) {
    var cell = event.target.closest && event.target.closest("[data-drop-day]");
    if (!cell || !dragged) return null;
    if (cell.dataset.dropRoom === dragged.dataset.moveRoom) return cell;
    // Another room: only where the move form has a room field to say so.
    var form = formFor(dragged);
    return form && form.querySelector('[name="room"]') ? cell : null;
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
    var form = formFor(dragged);
    if (!form) return;
    form.querySelector('[name="day"]').value = cell.dataset.dropDay;
    var room = form.querySelector('[name="room"]');
    if (room) room.value = cell.dataset.dropCode;
    form.submit();
  });

  // A drag over free space: pressed on a cell itself (not on a booking), along the same room's row.
  var first = null;
  var last = null;
  function rowCells(from, to) {
    var cells = Array.prototype.slice.call(from.parentNode.querySelectorAll("[data-drop-day]"));
    var a = cells.indexOf(from);
    var b = cells.indexOf(to);
    return cells.slice(Math.min(a, b), Math.max(a, b) + 1);
  }
  function mark() {
    clearMarks("block-target");
    rowCells(first, last).forEach(function (cell) { cell.classList.add("block-target"); });
  }
  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || event.pointerType === "touch") return;
    var cell = event.target.closest && event.target.closest("[data-drop-day]");
    if (!cell || event.target.closest(".calentry") || !document.querySelector("[data-block-form]")) return;
    event.preventDefault();
    first = last = cell;
    mark();
  });
  document.addEventListener("pointerover", function (event) {
    if (!first) return;
    var cell = event.target.closest && event.target.closest("[data-drop-day]");
    if (!cell || cell.parentNode !== first.parentNode) return;
    last = cell;
    mark();
  });
  document.addEventListener("pointerup", function () {
    if (!first) return;
    var cells = rowCells(first, last);
    first = last = null;
    var form = document.querySelector("[data-block-form]");
    form.querySelector('[name="room_id"]').value = cells[0].dataset.dropRoom;
    form.querySelector('[name="day"]').value = cells[0].dataset.dropDay;
    form.querySelector('[name="last_day"]').value = cells.length > 1 ? cells[cells.length - 1].dataset.dropDay : "";
    var details = form.closest("details");
    details.open = true;
    details.scrollIntoView({ block: "nearest" });
    form.querySelector('[name="reason"]').focus();
  });
  // A block placed or abandoned: the marked days go back to plain.
  document.addEventListener("toggle", function (event) {
    if (event.target.id === "cal-new-block" && !event.target.open) clearMarks("block-target");
  }, true);
})();
