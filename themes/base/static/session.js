// The idle countdown of pages for a logged-in user (R-SE-1). The server
// renders the remaining time and a "stay logged in" form that works without
// this script; the script counts the time down every second, keeps the form
// out of the way until the last minute, and says when the session has ended.
// The remaining seconds come from the server as a duration, so the browser's
// own clock being wrong does not matter. Nothing here is secret.
(function () {
  "use strict";

  var box = document.getElementById("session-countdown");
  if (!box) {
    return;
  }
  var remaining = document.getElementById("session-remaining");
  var form = document.getElementById("session-extend");
  var warning = document.getElementById("session-warning");
  var ended = document.getElementById("session-ended");
  var seconds = parseInt(box.getAttribute("data-ends-in"), 10);
  var warnBefore = parseInt(box.getAttribute("data-warn-before"), 10);
  if (isNaN(seconds) || !remaining) {
    return;
  }
  if (isNaN(warnBefore)) {
    warnBefore = 60;
  }
  var deadline = Date.now() + seconds * 1000;

  function format(left) {
    var minutes = Math.floor(left / 60);
    var rest = left % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    remaining.textContent = format(left);
    var warn = left > 0 && left <= warnBefore;
    if (form) {
      form.hidden = !warn;
    }
    if (warning) {
      warning.hidden = !warn;
    }
    if (left === 0) {
      if (ended) {
        ended.hidden = false;
      }
      box.classList.add("session-over");
      return;
    }
    window.setTimeout(tick, 1000);
  }

  tick();
})();
