// Small speed-ups for buyers; every form also works without JavaScript.
(function () {
  "use strict";
  // Changing the delivery date applies it at once (the Apply button stays for keyboard and no-JS users).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); });
  });
  // Pressing Enter in a quantity field of the cart updates the line without reaching for the mouse.
  document.querySelectorAll("input[data-autosubmit-change]").forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit(); }
    });
  });
  // Menu items with children: the toggle button opens and closes the submenu (hover and focus open it too).
  document.querySelectorAll(".menu-toggle[aria-controls]").forEach(function (toggle) {
    toggle.addEventListener("click", function () {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll('.menu-toggle[aria-expanded="true"]').forEach(function (toggle) {
      toggle.setAttribute("aria-expanded", "false");
    });
  });
  document.documentElement.setAttribute("data-shop-js", "ready");
})();
