/* Tablet picking screen: keeps the scan field focused and answers every scan with colour and sound.
 *
 * The server sets `HX-Trigger: scan-ok` or `scan-error` (oms.http.scan_feedback). A good scan gives a
 * short high beep and a green flash; a refused one (wrong bin, wrong item, bad serial) a low double
 * beep and a red flash, so the picker notices without looking. Sound is made with WebAudio: no files.
 */
(function () {
  "use strict";

  var audio = null;
  function beep(frequency, start, length) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.1;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + length);
    } catch (error) { /* no audio: the colour still tells */ }
  }

  function scanInput() { return document.querySelector("input[data-scan]"); }

  function focusScan() {
    var input = scanInput();
    if (input && document.activeElement !== input) input.focus({ preventScroll: true });
  }

  function flash(ok) {
    var station = document.querySelector("[data-station]") || document.body;
    station.classList.remove("scan-flash-ok", "scan-flash-error");
    void station.offsetWidth;
    station.classList.add(ok ? "scan-flash-ok" : "scan-flash-error");
  }

  document.addEventListener("scan-ok", function () { flash(true); beep(1320, 0, 0.08); });
  document.addEventListener("scan-error", function () {
    flash(false); beep(220, 0, 0.18); beep(180, 0.25, 0.22);
    if (navigator.vibrate) navigator.vibrate([120, 80, 120]);
  });
  document.addEventListener("DOMContentLoaded", focusScan);
  document.addEventListener("htmx:afterSettle", focusScan);
  document.addEventListener("click", function (event) {
    if (event.target.closest("input, select, textarea, button, a, label")) return;
    focusScan();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var input = event.detail.elt.querySelector && event.detail.elt.querySelector("input[data-scan]");
    if (input) setTimeout(function () { input.value = ""; }, 0);
  });
})();
