// Buttons marked data-print print the page (no inline handlers: a strict CSP stays possible).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
