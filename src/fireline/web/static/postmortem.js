/* Postmortem editor: live preview of a section while it is typed, rendered by the server
   (POST …/postmortem/preview: the export's markdown-it rendering, raw HTML off), so the
   browser never renders Markdown itself. Without this file the Preview button does the same
   with a full page. No inline script anywhere (the CSP forbids it). */
"use strict";
(function () {
  function wire(form) {
    const area = form.querySelector("textarea");
    const target = document.getElementById(form.dataset.target);
    if (!area || !target) return;
    let timer = null;
    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const body = new URLSearchParams({ csrf: window.fireline.csrf(), text: area.value });
        const response = await fetch(form.dataset.preview, {
          method: "POST", body, credentials: "same-origin",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        });
        if (response.ok) target.innerHTML = await response.text();
      }, 300);
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-preview]").forEach(wire);
  });
})();
