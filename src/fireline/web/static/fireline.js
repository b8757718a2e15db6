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
        month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
        timeZoneName: "short" });
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
  /* The declare form's seed block follows what is typed. */
  function declarationBlock() {
    const form = document.getElementById("declare-form");
    const block = document.getElementById("declaration");
    if (!form || !block) return;
    const value = (name) => (form.elements[name] && form.elements[name].value.trim()) || "";
    const update = () => {
      const checked = form.querySelector("input[name=severity]:checked");
      block.textContent = [
        "DECLARING " + (checked ? checked.value.toUpperCase() : "SEV?") + " INCIDENT",
        "Summary: " + (value("title") || "<one sentence>"),
        "User impact: " + (value("impact") || "<who/what is broken>"),
        "Start time (UTC): " + block.dataset.start,
        "IC: " + (value("ic") || "TBD"),
        "Ops Lead: TBD",
        "Comms Lead: TBD",
        "Scribe: TBD",
        "Bridge: <link or meeting ID>",
        "Primary channel: <#channel or thread link>",
      ].join("\n");
    };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
  }
  document.addEventListener("DOMContentLoaded", () => {
    declarationBlock();
    copyButtons();
    tick();
    localise(document);
    setInterval(tick, 1000);
  });
})();
