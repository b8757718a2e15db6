/* fireline web UI: progressive enhancement only; every page reads without it. No inline
   script anywhere (the CSP forbids it): behaviour hangs off data- attributes. */
"use strict";
(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  window.fireline = { csrf };

  /* Countdowns: <span data-due="ISO" data-overdue-text="overdue by">…</span> */
  function fmt(seconds) {
    const s = Math.abs(Math.round(seconds));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), r = s % 60;
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + String(m).padStart(2, "0") + "m";
    if (m) return m + "m " + String(r).padStart(2, "0") + "s";
    return r + "s";
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach((el) => {
      const left = (Date.parse(el.dataset.due) - now) / 1000;
      if (Number.isNaN(left)) return;
      if (left < 0) {
        el.textContent = "overdue by " + fmt(left);
        el.classList.add("overdue");
      } else {
        el.textContent = "in " + fmt(left);
        el.classList.remove("overdue");
      }
    });
  }
  /* Viewer's own zone beside UTC: <time datetime="ISO" data-local>…</time> */
  function localise(root) {
    (root || document).querySelectorAll("time[data-local]:not([data-localised])").forEach((el) => {
      const at = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(at.getTime())) return;
      const span = document.createElement("span");
      span.className = "muted local";
      span.textContent = " · " + at.toLocaleString(undefined, {
        dateStyle: "short", timeStyle: "short", timeZoneName: "short" });
      el.after(span);
      el.dataset.localised = "1";
    });
  }
  window.fireline.localise = localise;
  /* Copy buttons: <button data-copy="element-id"> */
  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      button.addEventListener("click", async () => {
        const source = document.getElementById(button.dataset.copy);
        if (!source || !navigator.clipboard) return;
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      });
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    copyButtons();
    tick();
    localise(document);
    setInterval(tick, 1000);
  });
})();
