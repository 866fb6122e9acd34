// The header's menu button on narrow screens. Without JavaScript the menu simply stays visible: the button
// is `hidden` in the HTML and the header only collapses once this script marks it `js-menu`.
(function () {
  "use strict";
  const header = document.querySelector(".site-header");
  const button = header && header.querySelector(".menu-toggle");
  const menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  header.classList.add("js-menu");
  button.hidden = false;
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
