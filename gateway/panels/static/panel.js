// The staff panels' only script: poll the live fragment, post forms with the CSRF token, keep what staff are typing.
(function () {
  "use strict";
  var POLL_MS = 3000;
  var live = document.getElementById("live");
  if (!live) return;
  var csrf = document.querySelector('meta[name="csrf"]').content;
  var flash = document.getElementById("flash");
  var offline = document.getElementById("offline");
  var baseTitle = document.title;
  var pending = null, keys = {}, audio = null;

  function all(selector) { return Array.prototype.slice.call(live.querySelectorAll(selector)); }
  function typing() {
    var el = document.activeElement;
    return el && live.contains(el) && (el.tagName === "TEXTAREA" || el.tagName === "INPUT");
  }
  function fieldKey(el) { return (el.form ? el.form.getAttribute("action") : "") + "|" + el.name; }
  function waitingCount() { return all('[data-status="recibido"]').length + all(".handoff").length; }
  function announce(before) {
    var now = waitingCount();
    document.title = (now ? "(" + now + ") " : "") + baseTitle;
    if (now > before) {
      if (navigator.vibrate) navigator.vibrate(200);
      if (audio) {
        var tone = audio.createOscillator(), gain = audio.createGain();
        tone.frequency.value = 880; gain.gain.value = 0.2;
        tone.connect(gain); gain.connect(audio.destination);
        tone.start(); tone.stop(audio.currentTime + 0.3);
      }
    }
  }

  function swap(html) {
    if (typing()) { pending = html; return; }
    var opened = {}, typed = {}, before = waitingCount();
    all("details[id]").forEach(function (d) { opened[d.id] = d.open; });
    all("textarea, input:not([type=hidden])").forEach(function (el) { if (el.value) typed[fieldKey(el)] = el.value; });
    live.innerHTML = html;
    pending = null;
    all("details[id]").forEach(function (d) { if (d.id in opened) d.open = opened[d.id]; });
    all("textarea, input:not([type=hidden])").forEach(function (el) { if (typed[fieldKey(el)]) el.value = typed[fieldKey(el)]; });
    latestFirst();
    announce(before);
  }

  function latestFirst() { // a conversation opens on its last messages
    all(".transcript").forEach(function (t) { t.scrollTop = t.scrollHeight; });
  }

  function refresh() {
    return fetch(live.dataset.src + "?v=" + encodeURIComponent(live.dataset.version || ""), { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        offline.hidden = true;
        if (r.status === 401 || r.status === 403) { location.reload(); return; }
        if (r.status === 204) return;
        if (!r.ok) throw new Error(String(r.status));
        live.dataset.version = r.headers.get("X-Panel-Version") || "";
        return r.text().then(swap);
      })
      .catch(function () { offline.hidden = false; });
  }

  function problem(body, status) {
    if (typeof body.detail === "string") return body.detail;
    return status === 422 ? "Revisá los datos del formulario." : "No se pudo hacer (error " + status + "). Probá de nuevo.";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!live.contains(form)) return; // login and logout post as plain forms
    event.preventDefault();
    var data = new FormData(form);
    var action = form.getAttribute("action");
    if (form.classList.contains("reply")) { // one key per message: a retried send is not sent twice
      keys[action] = keys[action] || Date.now().toString(36) + Math.random().toString(36).slice(2);
      data.append("key", keys[action]);
    }
    var buttons = Array.prototype.slice.call(form.querySelectorAll("button"));
    buttons.forEach(function (b) { b.disabled = true; });
    if (document.activeElement) document.activeElement.blur();
    fetch(action, { method: "POST", body: data, credentials: "same-origin",
                    headers: { "Accept": "application/json", "X-CSRF-Token": csrf } })
      .then(function (r) {
        if (r.status === 401) { location.reload(); return; } // the login expired: show the login form
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) throw new Error(problem(body, r.status));
          delete keys[action];
          form.reset();
          flash.hidden = true;
          live.dataset.version = "";
          return refresh();
        });
      })
      .catch(function (err) {
        flash.textContent = err instanceof TypeError ? "Sin conexión: no se pudo enviar. Probá de nuevo." : err.message;
        flash.hidden = false;
      })
      .then(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  document.addEventListener("focusout", function () {
    setTimeout(function () { if (pending !== null && !typing()) swap(pending); }, 0);
  });
  document.addEventListener("click", function () {
    if (!audio && window.AudioContext) audio = new window.AudioContext(); // sound needs one tap first
  });
  latestFirst();
  announce(waitingCount());
  setInterval(refresh, POLL_MS);
})();
