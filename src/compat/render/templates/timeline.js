// Tooltips sit inside a box that scrolls both ways, beside a sticky header and column: open
// each one where the box shows all of it (or most of it). Escape hides the focused square's
// tooltip, since text shown on focus must be dismissible without moving focus.
(() => {
  "use strict";
  const box = document.querySelector(".tl-wrap");
  const SIDES = ["tip-placed", "tip-up", "tip-down"];
  const owner = (node) =>
    node instanceof Element ? node.closest(".timeline td, .timeline thead th") : null;
  const place = (cell) => {
    const tip = cell?.querySelector(":scope > .tip");
    if (!box || !tip) {
      return;
    }
    cell.classList.remove(...SIDES);
    const { width, height } = tip.getBoundingClientRect();
    if (width === 0) {
      return;
    }
    const frame = box.getBoundingClientRect();
    const right = frame.left + box.clientLeft + box.clientWidth;
    const bottom = frame.top + box.clientTop + box.clientHeight;
    const left = box.querySelector("tbody th")?.getBoundingClientRect().right ?? frame.left;
    const top = box.querySelector("thead")?.getBoundingClientRect().bottom ?? frame.top;
    const at = cell.getBoundingClientRect();
    // Centred on the square, shifted as little as showing it whole takes (flush with the
    // sticky column when the box is narrower than the tooltip).
    const centred = at.left + at.width / 2 - width / 2;
    const x = Math.max(left, Math.min(centred, right - width));
    cell.style.setProperty("--tip-shift", `${x - at.left}px`);
    cell.classList.add("tip-placed");
    if (cell.closest("tbody")) {
      const below = at.bottom + height <= bottom;
      const above = at.top - height >= top;
      const roomier = bottom - at.bottom >= at.top - top;
      cell.classList.add(below || (!above && roomier) ? "tip-down" : "tip-up");
    }
  };
  let current = null;
  document.addEventListener("mouseover", (event) => {
    const cell = owner(event.target);
    if (cell !== current) {
      current = cell;
      place(cell);
    }
  });
  document.addEventListener("focusin", (event) => place(owner(event.target)));
  document.addEventListener("keydown", (event) => {
    const cell = owner(document.activeElement);
    if (event.key === "Escape" && cell) {
      cell.classList.add("tip-dismissed");
    }
  });
  document.addEventListener("focusout", (event) => {
    owner(event.target)?.classList.remove("tip-dismissed");
  });
})();
