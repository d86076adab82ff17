// Fragment navigation scrolls to a closed <details> but leaves it, and the feature group around
// it, shut: open the drill-down a cell links to. Escape hides the focused cell's tooltip, since
// text shown on focus must be dismissible without moving focus.
(() => {
  "use strict";
  const openTarget = () => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    if (!(target instanceof HTMLDetailsElement)) {
      return;
    }
    for (let open = target; open; open = open.parentElement?.closest("details")) {
      open.open = true;
    }
    target.scrollIntoView({ block: "start" });
  };
  window.addEventListener("hashchange", openTarget);
  openTarget();
  document.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    if (event.key === "Escape" && active instanceof Element && active.matches("td > .g")) {
      active.parentElement.classList.add("tip-dismissed");
    }
  });
  document.addEventListener("focusout", (event) => {
    if (event.target instanceof Element && event.target.matches("td > .g")) {
      event.target.parentElement.classList.remove("tip-dismissed");
    }
  });
})();
