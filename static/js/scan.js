/* Tablet scanning stations (goods in, counts, later picking and packing).
 *
 * A keyboard-wedge scanner types the code and presses Enter, so a station is a plain form with one
 * <input data-scan>: Enter submits it (htmx or not) and the page works without this file. What this
 * file adds:
 *  - the scan input keeps the focus: after every htmx swap, and after a tap anywhere that is not
 *    another control, so the next scan never lands nowhere;
 *  - feedback: the server answers with an `HX-Trigger` header of `scan-ok` or `scan-error`
 *    (oms.http.scan_feedback); the station flashes green or red and beeps (a short high tone for
 *    ok, a low double tone for an error), so a wrong item is noticed without looking;
 *  - the input is cleared after each submission, ready for the next code.
 */
(function () {
  "use strict";

  var audio = null;
  function tone(frequency, start, length) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = frequency;
      oscillator.type = "square";
      gain.gain.value = 0.08;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + length);
    } catch (error) { /* no audio: the colour still tells */ }
  }

  function scanInput() {
    return document.querySelector("input[data-scan]");
  }

  function focusScan() {
    var input = scanInput();
    if (input && document.activeElement !== input) input.focus({ preventScroll: true });
  }

  function flash(kind) {
    var station = document.querySelector("[data-station]") || document.body;
    station.classList.remove("scan-flash-ok", "scan-flash-error");
    void station.offsetWidth; // restart the animation
    station.classList.add(kind === "ok" ? "scan-flash-ok" : "scan-flash-error");
  }

  document.addEventListener("scan-ok", function () { flash("ok"); tone(1320, 0, 0.08); });
  document.addEventListener("scan-error", function () {
    flash("error"); tone(220, 0, 0.15); tone(220, 0.22, 0.15);
  });

  document.addEventListener("DOMContentLoaded", focusScan);
  document.addEventListener("htmx:afterSettle", focusScan);
  document.addEventListener("click", function (event) {
    if (!scanInput()) return;
    if (event.target.closest("input, select, textarea, button, a, label, summary, [contenteditable]")) return;
    focusScan();
  });
  // Clear the scan field once its form is sent, whatever the answer.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form");
    var input = form && form.querySelector("input[data-scan]");
    if (input) setTimeout(function () { input.value = ""; }, 0);
  });
})();
