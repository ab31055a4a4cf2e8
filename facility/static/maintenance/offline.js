// Crew tablets: register the service worker, queue checklist submissions in IndexedDB, sync them.
// Every submission goes through the queue first, with a client-made id, so a resend after a
// dropped connection returns the first result instead of creating a duplicate.
(function () {
  "use strict";
  // Two stores: the outbox of submissions waiting to be sent, and a draft per checklist (what the
  // crew has typed, ticked, photographed or signed so far), saved on every change so a reload,
  // a closed tab or a flat battery never loses unsubmitted work.
  const DB_NAME = "facility-crew", STORE = "outbox", DRAFTS = "drafts";
  const RETRY_MS = 15000;  // how often to retry while something waits and the tablet seems online

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id" });
        if (!db.objectStoreNames.contains(DRAFTS)) db.createObjectStore(DRAFTS, { keyPath: "inspection" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function tx(mode, fn, store = STORE) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = fn(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const put = (entry) => tx("readwrite", (s) => s.put(entry));
  const remove = (id) => tx("readwrite", (s) => s.delete(id));
  const all = () => tx("readonly", (s) => s.getAll());
  const putDraft = (draft) => tx("readwrite", (s) => s.put(draft), DRAFTS);
  const getDraft = (inspection) => tx("readonly", (s) => s.get(inspection), DRAFTS);
  const removeDraft = (inspection) => tx("readwrite", (s) => s.delete(inspection), DRAFTS);

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function csrf() {
    const bar = document.getElementById("sync-bar");
    return bar ? bar.dataset.csrf : "";
  }

  async function renderBar() {
    const bar = document.getElementById("sync-bar");
    if (!bar) return;
    const waiting = await all();
    const list = bar.querySelector(".sync-list");
    list.innerHTML = "";
    for (const entry of waiting) {
      const li = document.createElement("li");
      li.textContent = entry.title + (entry.error ? " — " + entry.error : "");
      li.dataset.submission = entry.id;
      list.appendChild(li);
    }
    const state = bar.querySelector(".sync-state");
    const parts = [];
    if (!navigator.onLine) parts.push(bar.dataset.labelOffline);
    if (waiting.length) parts.push(bar.dataset.labelPending + ": " + waiting.length);
    state.textContent = parts.join(" · ");
    bar.hidden = parts.length === 0;
    bar.dataset.pending = String(waiting.length);
    document.querySelectorAll("[data-stop]").forEach((el) => {
      el.classList.toggle("queued", waiting.some((e) => "inspection-" + e.inspection === el.dataset.stop));
    });
  }

  let syncing = false;
  async function sync() {
    if (syncing) return;
    syncing = true;
    try {
      for (const entry of await all()) {
        let response;
        try {
          response = await fetch(entry.url, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": entry.csrf || csrf() },
            body: JSON.stringify(entry.body),
          });
        } catch (offline) {
          break;  // no connection: keep everything queued
        }
        if (response.ok) {
          await remove(entry.id);
          document.dispatchEvent(new CustomEvent("crew:synced", { detail: { entry, result: await response.json() } }));
        } else if (response.status >= 500 || response.status === 401 || response.status === 429) {
          break;  // try again later (server trouble, or the crew must sign in again)
        } else {
          const body = await response.json().catch(() => ({}));
          entry.error = body.detail || ("HTTP " + response.status);
          await put(entry);
          document.dispatchEvent(new CustomEvent("crew:rejected", { detail: { entry, body } }));
        }
      }
    } finally {
      syncing = false;
      await renderBar();
    }
  }

  function readImage(file) {
    // Scale photos down before queuing: a full camera image would fill the tablet's storage.
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(1, 1600 / Math.max(img.width, img.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(img.src);
        resolve(canvas.toDataURL("image/jpeg", 0.8));
      };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  function signaturePad(canvas) {
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#14243a";
    let drawing = false;
    canvas.dataset.signed = "";
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); ctx.beginPath(); ctx.moveTo(...point(e)); });
    canvas.addEventListener("pointermove", (e) => { if (!drawing) return; ctx.lineTo(...point(e)); ctx.stroke(); canvas.dataset.signed = "1"; });
    canvas.addEventListener("pointerup", () => {
      drawing = false;
      canvas.dispatchEvent(new Event("signed", { bubbles: true }));
    });
    return () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.signed = "";
      canvas.dispatchEvent(new Event("signed", { bubbles: true }));
    };
  }

  function drawSignature(canvas, dataUrl) {
    const img = new Image();
    img.onload = () => { canvas.getContext("2d").drawImage(img, 0, 0); canvas.dataset.signed = "1"; };
    img.src = dataUrl;
  }

  function addThumb(input, url) {
    const img = document.createElement("img");
    img.src = url; img.alt = "";
    input.closest(".extra, .item").querySelector(".thumbs").appendChild(img);
  }

  // What the form holds now, in the shape the server takes (answers by item key) plus the note,
  // the typed name and the drawn signature.
  function formState(form, photos) {
    const answers = {}, item_notes = {}, item_photos = {};
    form.querySelectorAll(".item[data-key]").forEach((item) => {
      const key = item.dataset.key, type = item.dataset.type;
      if (type === "check") { const c = item.querySelector("input:checked"); if (c) answers[key] = c.value; }
      else if (type === "number") { const v = item.querySelector("input").value; if (v !== "") answers[key] = parseFloat(v); }
      else if (type === "text") { const v = item.querySelector("textarea").value.trim(); if (v) answers[key] = v; }
      else if (type === "time") { const v = item.querySelector("input").value; if (v) answers[key] = v; }
      else if (photos[key] && photos[key].length) answers[key] = photos[key];
      const note = item.querySelector(".extra-note textarea");
      if (note && note.value.trim()) item_notes[key] = note.value.trim();
      const extra = photos[key + "__photo"];
      if (extra && extra.length) item_photos[key] = extra;
    });
    const canvas = form.querySelector(".signature-pad");
    return {
      answers, item_notes, item_photos,
      note: form.querySelector("[name=__note]").value,
      confirm_name: form.querySelector("[name=__confirm_name]").value,
      signature: canvas.dataset.signed ? canvas.toDataURL("image/png") : null,
    };
  }

  function restoreState(form, photos, state) {
    form.querySelectorAll(".item[data-key]").forEach((item) => {
      const key = item.dataset.key, type = item.dataset.type, value = state.answers[key];
      const note = item.querySelector(".extra-note textarea");
      if (note) note.value = (state.item_notes || {})[key] || "";
      const extra = (state.item_photos || {})[key];
      if (extra && extra.length) {
        photos[key + "__photo"] = extra.slice();
        const input = item.querySelector(".extra-photo input[type=file]");
        if (input) extra.forEach((url) => addThumb(input, url));
      }
      if (value === undefined) return;
      if (type === "check") {
        const radio = item.querySelector(`input[value="${value}"]`);
        if (radio) radio.checked = true;
      } else if (type === "number") {
        const input = item.querySelector("input");
        input.value = value;
        input.dispatchEvent(new Event("input"));
      } else if (type === "text") {
        item.querySelector("textarea").value = value;
      } else if (type === "time") {
        item.querySelector("input").value = value;
      } else if (Array.isArray(value)) {
        photos[key] = value.slice();
        const input = item.querySelector("input[type=file]");
        value.forEach((url) => addThumb(input, url));
      }
    });
    form.querySelector("[name=__note]").value = state.note || "";
    form.querySelector("[name=__confirm_name]").value = state.confirm_name || "";
    if (state.signature) drawSignature(form.querySelector(".signature-pad"), state.signature);
  }

  // The first item whose note or photo is asked for (always, or because it fails) but missing.
  function missingExtra(form, photos) {
    for (const item of form.querySelectorAll(".item[data-key]")) {
      const key = item.dataset.key, legend = item.querySelector("legend").textContent.trim();
      const checked = item.querySelector("input[type=radio]:checked");
      const limits = item.querySelector(".out-of-limits");
      const failed = (checked && checked.value === "fail") || (limits !== null && !limits.hidden);
      const asked = (box) => box && (box.dataset.ask === "always" || (box.dataset.ask === "on_fail" && failed));
      const noteBox = item.querySelector(".extra-note"), photoBox = item.querySelector(".extra-photo");
      if (asked(noteBox) && !noteBox.querySelector("textarea").value.trim()) {
        return { message: form.dataset.labelNeedsNote.replace("{item}", legend), focus: noteBox.querySelector("textarea") };
      }
      if (asked(photoBox) && !(photos[key + "__photo"] || []).length) {
        return { message: form.dataset.labelNeedsPhoto.replace("{item}", legend), focus: form.querySelector(".form-error") };
      }
    }
    return null;
  }

  function setupChecklist(form) {
    const photos = {};
    const error = form.querySelector(".form-error");
    const clear = signaturePad(form.querySelector(".signature-pad"));
    form.querySelector("[data-clear-signature]").addEventListener("click", clear);
    form.querySelectorAll(".item-number input").forEach((input) => {
      input.addEventListener("input", () => {
        const v = parseFloat(input.value), min = parseFloat(input.dataset.min), max = parseFloat(input.dataset.max);
        const out = !isNaN(v) && ((!isNaN(min) && v < min) || (!isNaN(max) && v > max));
        input.closest(".item").querySelector(".out-of-limits").hidden = !out;
      });
    });
    form.querySelectorAll(".item-photo input[type=file], .extra-photo input[type=file]").forEach((input) => {
      input.addEventListener("change", async () => {
        const key = input.name;
        photos[key] = photos[key] || [];
        for (const file of input.files) {
          const url = await readImage(file);
          photos[key].push(url);
          addThumb(input, url);
        }
        input.value = "";
        saveDraft();
      });
    });
    const inspection = form.dataset.inspection;
    const draftNote = form.querySelector(".draft-state");
    let restoring = true, saveTimer = null;
    function saveDraft() {
      if (restoring) return;
      clearTimeout(saveTimer);
      saveTimer = setTimeout(async () => {
        await putDraft({ inspection, savedAt: new Date().toISOString(), ...formState(form, photos) });
        if (draftNote) { draftNote.textContent = form.dataset.labelDraftSaved; draftNote.hidden = false; }
      }, 150);
    }
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", saveDraft);
    form.addEventListener("signed", saveDraft);
    function showQueued() {
      form.querySelector(".submit").disabled = true;
      const result = form.querySelector(".result");
      result.textContent = form.dataset.labelQueued;
      result.dataset.state = "queued";
    }
    // After a reload: a submission still waiting to be sent is shown as such (never a blank form
    // inviting a second one); otherwise the draft comes back as the crew left it.
    (async () => {
      const waiting = (await all()).find((entry) => String(entry.inspection) === inspection);
      if (waiting) {
        restoreState(form, photos, waiting.body);
        showQueued();
      } else {
        const draft = await getDraft(inspection);
        if (draft) {
          restoreState(form, photos, draft);
          if (draftNote) { draftNote.textContent = form.dataset.labelDraftRestored; draftNote.hidden = false; }
        }
      }
      restoring = false;
      form.dataset.ready = "1";
    })();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const canvas = form.querySelector(".signature-pad");
      const typed = form.querySelector("[name=__confirm_name]");
      const missing = missingExtra(form, photos);
      if (missing) {
        error.textContent = missing.message;
        error.hidden = false;
        missing.focus.focus();
        return;
      }
      if (!canvas.dataset.signed && !typed.value.trim()) {
        error.textContent = form.querySelector("label[for=i-confirm-name]").textContent;
        error.hidden = false;
        typed.setAttribute("aria-invalid", "true");
        typed.focus();
        return;
      }
      typed.removeAttribute("aria-invalid");
      error.hidden = true;
      if ((await all()).some((entry) => String(entry.inspection) === inspection)) {
        showQueued();  // already waiting (another tab, a double tap): never queued twice
        return;
      }
      const state = formState(form, photos);
      const id = newId();
      await put({
        id, inspection, csrf: csrf(), title: document.querySelector("h1").textContent,
        url: "/api/v1/inspections/" + inspection + "/submit", queuedAt: new Date().toISOString(),
        body: {
          submission_id: id, answers: state.answers, signature: state.signature,
          confirm_name: typed.value.trim(), note: state.note, filled_at: new Date().toISOString(),
          item_notes: state.item_notes, item_photos: state.item_photos,
        },
      });
      clearTimeout(saveTimer);
      await removeDraft(inspection);
      if (draftNote) draftNote.hidden = true;
      showQueued();
      await renderBar();
      await sync();
    });
    document.addEventListener("crew:synced", (e) => {
      if (String(e.detail.entry.inspection) !== form.dataset.inspection) return;
      const result = form.querySelector(".result");
      const outcome = e.detail.result.result;
      result.textContent = form.dataset.labelSubmitted + " — " + (outcome === "pass" ? form.dataset.labelPass : form.dataset.labelFail);
      result.dataset.state = "synced-" + outcome;
      // The work orders its failed items opened, and where to go next.
      const links = form.querySelector(".result-links");
      links.replaceChildren(...(e.detail.result.corrective_work_orders || []).map((id) => {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/maintenance/work-orders/" + id;
        a.textContent = form.dataset.labelWorkOrder.replace("{id}", id);
        li.append(a);
        return li;
      }));
      const next = form.querySelector(".result-next");
      if (next) next.hidden = false;
    });
    document.addEventListener("crew:rejected", (e) => {
      if (String(e.detail.entry.inspection) !== form.dataset.inspection) return;
      // The answers go back to being a draft: refused work is corrected, not typed again.
      putDraft({ inspection, savedAt: new Date().toISOString(), ...e.detail.entry.body });
      remove(e.detail.entry.id).then(renderBar);
      error.textContent = e.detail.entry.error;
      error.hidden = false;
      error.focus();
      form.querySelector(".submit").disabled = false;
      form.querySelector(".result").textContent = "";
    });
  }

  function precacheDay() {
    // The page the crew is on and the day page too: on a first visit the worker starts after this
    // page loaded, so without this the first offline navigation met the browser's error page.
    const urls = [location.href.split("#")[0], new URL("/maintenance/my-day", location.href).href];
    document.querySelectorAll("a[data-precache]").forEach((a) => urls.includes(a.href) || urls.push(a.href));
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then((reg) => reg.active && reg.active.postMessage({ type: "precache", urls }));
  }

  // The work order's "done" form: a drawn signature stands in for the typed name (which stays the
  // keyboard's way to confirm), sent as a PNG in a hidden field.
  function setupWorkOrderSignature(box) {
    const form = box.closest("form");
    const canvas = box.querySelector(".signature-pad");
    const hidden = box.querySelector("input[name=signature]");
    const typed = form.querySelector("[name=confirm_name]");
    const clear = signaturePad(canvas);
    const update = () => {
      hidden.value = canvas.dataset.signed ? canvas.toDataURL("image/png") : "";
      typed.required = !canvas.dataset.signed;
    };
    canvas.addEventListener("signed", update);
    box.querySelector("[data-clear-signature]").addEventListener("click", () => { clear(); update(); });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-signature-form]").forEach(setupWorkOrderSignature);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/maintenance/sw.js", { scope: "/maintenance/" }).catch(() => {});
    }
    const form = document.getElementById("checklist");
    if (form) setupChecklist(form);
    precacheDay();
    window.addEventListener("online", sync);
    window.addEventListener("offline", renderBar);
    renderBar().then(sync);
    setInterval(() => { const bar = document.getElementById("sync-bar"); if (bar && bar.dataset.pending !== "0") sync(); }, RETRY_MS);
  });
  window.crewOutbox = { all, sync, getDraft };
})();
