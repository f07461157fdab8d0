/* Small panel behaviours; everything works without them. No inline scripts (CSP). */
(function () {
  "use strict";

  // Close a flash message.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var message = button.closest(".message");
      if (message) message.remove();
    }
    // Close open menus when clicking elsewhere.
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Success and info messages fade away; errors stay until dismissed.
  function autoDismiss(root) {
    root.querySelectorAll(".message-success, .message-info").forEach(function (message) {
      setTimeout(function () { message.classList.add("fade"); }, 6000);
      setTimeout(function () { message.remove(); }, 6600);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { autoDismiss(document); });
  document.addEventListener("htmx:afterSwap", function (event) { autoDismiss(event.target); });

  // An htmx request that fails at the network or server level still tells the user.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("messages");
    if (!box) return;
    var div = document.createElement("div");
    div.className = "message message-error";
    div.setAttribute("role", "alert");
    div.textContent = document.documentElement.lang === "tr"
      ? "İstek tamamlanamadı (" + event.detail.xhr.status + "). Lütfen tekrar deneyin."
      : "The request failed (" + event.detail.xhr.status + "). Please try again.";
    box.appendChild(div);
  });
})();
