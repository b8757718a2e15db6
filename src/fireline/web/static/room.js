/* The incident room's enhancements: the live timeline (Server-Sent Events), the composer's
   keyboard (/ focuses it, Enter records), checkboxes that record on change, and the evidence
   upload (picker or drag and drop, with progress) to the API's upload route. */
"use strict";
(function () {
  document.documentElement.classList.add("js");
  const room = document.getElementById("room");
  if (!room) return;
  const incident = room.dataset.incident;
  const csrf = window.fireline.csrf();

  /* The gates panel: decided apart (it replays the incident's verified record), fetched in. */
  function fill(id) {
    const holder = document.getElementById(id);
    if (!holder) return;
    fetch(holder.dataset.fragment, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => { if (html !== null) holder.innerHTML = html; })
      .catch(() => {});
  }
  let gatesTimer = null;
  function refreshGates() { fill("gates-status"); fill("verify-badge"); }
  refreshGates();

  /* Live timeline */
  const list = document.getElementById("entries");
  const live = document.getElementById("live");
  function insert(message) {
    const data = JSON.parse(message.data);
    if (document.getElementById("e-" + data.seq)) return;
    const holder = document.createElement("template");
    holder.innerHTML = data.html.trim();
    const node = holder.content.firstElementChild;
    list.appendChild(node);
    window.fireline.localise(node);
    if (data.corrects) {
      const target = document.getElementById("e-" + data.corrects);
      if (target && !target.querySelector(".correction")) {
        const note = document.createElement("div");
        note.className = "correction";
        const strong = document.createElement("strong");
        strong.textContent = "Corrected by #" + data.seq + ": ";
        note.appendChild(strong);
        note.appendChild(document.createTextNode(node.querySelector(".text").textContent));
        target.appendChild(note);
        target.classList.add("corrected");
      }
    }
    room.dataset.after = String(data.seq);
    clearTimeout(gatesTimer);
    gatesTimer = setTimeout(refreshGates, 500);
    live.textContent = "New entry #" + data.seq;
  }
  if (window.EventSource && list) {
    const source = new EventSource(
      "/incidents/" + encodeURIComponent(incident) + "/stream?after=" + room.dataset.after);
    source.addEventListener("entry", insert);
    source.addEventListener("open", () => { room.dataset.live = "1"; live.textContent = "Live"; });
    source.addEventListener("gone", () => { source.close(); live.textContent = "No longer available"; });
  }

  /* Composer keyboard */
  const text = document.getElementById("f-text");
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing && text) {
      event.preventDefault();
      text.focus();
    }
  });
  document.querySelectorAll("textarea[data-enter-submits]").forEach((area) => {
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (area.value.trim()) area.form.requestSubmit();
      }
    });
  });

  /* Checklist checkboxes record on change */
  document.querySelectorAll("input[data-autosubmit]").forEach((box) => {
    box.addEventListener("change", () => box.form.requestSubmit());
  });

  /* Evidence upload: XHR to the API route with the session's CSRF header */
  const form = document.getElementById("upload");
  if (form) {
    const picker = document.getElementById("f-file");
    const bar = document.getElementById("upload-progress");
    const status = document.getElementById("upload-status");
    const limit = Number(room.dataset.uploadLimit || "0");
    function send(file) {
      if (!file) { status.textContent = "Choose a file first."; return; }
      if (limit && file.size > limit) {
        status.textContent = file.name + " is " + file.size + " bytes; the limit is " + limit + ".";
        return;
      }
      const params = new URLSearchParams({
        kind: document.getElementById("f-ekind").value,
        name: file.name,
        note: document.getElementById("f-enote").value,
      });
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") + "?" + params.toString());
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status === 201) {
          bar.value = 100;
          status.textContent = "Uploaded " + file.name;
          window.location.reload();
        } else {
          let detail = "upload refused (" + xhr.status + ")";
          try { detail = JSON.parse(xhr.responseText).detail || detail; } catch (e) { /* keep */ }
          status.textContent = detail;
          status.classList.add("error");
        }
      });
      xhr.addEventListener("error", () => { status.textContent = "The upload failed: network error."; });
      status.textContent = "Uploading " + file.name + "…";
      xhr.send(file);
    }
    form.addEventListener("submit", (event) => { event.preventDefault(); send(picker.files[0]); });
    form.addEventListener("dragover", (event) => { event.preventDefault(); form.classList.add("over"); });
    form.addEventListener("dragleave", () => form.classList.remove("over"));
    form.addEventListener("drop", (event) => {
      event.preventDefault();
      form.classList.remove("over");
      if (event.dataTransfer.files.length) send(event.dataTransfer.files[0]);
    });
  }
})();
