// Live pages: the watch page (HLS video through hls.js, real-time updates over
// Server-Sent Events, comments, likes, buying the pinned product) and the anchor
// console (forms sent as JSON to /api/v1/live/..., the session's comment feed).
// A separate file because the content security policy allows no inline scripts.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;

  function api(method, url, body, headers) {
    var h = { "Content-Type": "application/json" };
    for (var k in headers || {}) h[k] = headers[k];
    return fetch(url, { method: method, headers: h, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        if (res.status === 204) return {};
        return res.json().then(function (j) {
          if (!res.ok) {
            var e = j.error || {}, msg = e.message || res.statusText;
            for (var f in e.fields || {}) msg += " — " + f + ": " + e.fields[f];
            throw new Error(msg);
          }
          return j;
        });
      });
  }

  function showError(el, err) {
    if (!el) { alert(err.message); return; }
    el.textContent = err.message; el.hidden = false;
  }

  // Console forms: fields become a JSON body; data-type says how.
  function jsonForms() {
    document.querySelectorAll("form[data-api]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
        var body = {};
        Array.prototype.forEach.call(form.elements, function (el) {
          if (!el.name) return;
          var t = el.dataset.type;
          if (t === "list") { body[el.name] = body[el.name] || []; if (el.checked) body[el.name].push(el.value); return; }
          if (t === "bool") { body[el.name] = el.type === "checkbox" ? el.checked : el.value === "true"; return; }
          if (el.type === "checkbox") { if (el.checked) body[el.name] = el.value; return; }
          if (t === "int") { body[el.name] = el.value === "" ? 0 : parseInt(el.value, 10); return; }
          if (t === "yuan") { body[el.name] = Math.round(parseFloat(el.value) * 100); return; }
          if (t === "time") { body[el.name] = new Date(el.value).toISOString(); return; }
          body[el.name] = el.value;
        });
        var btn = form.querySelector("button"); if (btn) btn.disabled = true;
        api(form.dataset.method || "POST", form.dataset.api, body).then(function () { location.reload(); })
          .catch(function (err) { if (btn) btn.disabled = false; showError(document.getElementById("form-error"), err); });
      });
    });
  }

  function addComment(list, html) {
    var li = document.createElement("li");
    li.innerHTML = html;
    list.appendChild(li);
    while (list.children.length > 100) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  function yuan(fen) { return (fen / 100).toFixed(2); }

  function purchaseText(m) {
    return zh ? "🛒 " + esc(m.place || "一位") + "的买家刚刚买了 " + m.qty + " " + esc(m.unit) + " " + esc(m.product)
      : "🛒 A buyer in " + esc(m.place || "China") + " just bought " + m.qty + " " + esc(m.unit) + " of " + esc(m.product);
  }

  function play(video, src) {
    if (!src || !video) return;
    video.hidden = false;
    if (video.canPlayType("application/vnd.apple.mpegurl")) { video.src = src; video.play().catch(function () {}); return; }
    if (window.Hls && Hls.isSupported()) {
      if (video._hls) video._hls.destroy();
      var hls = new Hls({ liveSyncDurationCount: 2 });
      hls.loadSource(src); hls.attachMedia(video);
      hls.on(Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () {}); });
      // The playlist appears a few seconds after the stream starts: retry.
      hls.on(Hls.Events.ERROR, function (_, d) { if (d.fatal) { setTimeout(function () { play(video, src); }, 3000); } });
      video._hls = hls;
    }
  }

  function watchPage() {
    var root = document.getElementById("live-watch");
    if (!root) return;
    var id = root.dataset.session, video = document.getElementById("live-video");
    var list = document.getElementById("live-comments"), likes = 0;
    var offline = root.querySelector(".live-offline");
    if (root.dataset.status === "live") play(video, root.dataset.playback);
    var countdown = document.getElementById("flash-countdown");
    setInterval(function () {
      var ends = parseInt(countdown.dataset.ends || "0", 10);
      if (!ends) return;
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      countdown.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (left === 0) { countdown.dataset.ends = ""; document.getElementById("flash-info").hidden = true; document.getElementById("live-flash-tag").hidden = true;
        var f = document.querySelector("#buy-form [name=flash_id]"); if (f) f.value = ""; }
    }, 500);
    var es = new EventSource("/live/sessions/" + id + "/events");
    es.onmessage = function (ev) {
      var m = JSON.parse(ev.data);
      switch (m.t) {
        case "hello": case "viewers": document.getElementById("live-viewers").textContent = m.n || 0; break;
        case "comment": addComment(list, "<b>" + esc(m.u) + "</b> " + esc(m.text)); break;
        case "likes": likes += m.n; document.getElementById("live-likes").textContent = likes; break;
        case "purchase": addComment(list, "<i>" + purchaseText(m) + "</i>"); break;
        case "pin": case "flash":
          var card = document.getElementById("live-pinned");
          card.hidden = !m.product_id;
          document.getElementById("pin-name").textContent = m.product || "";
          document.getElementById("pin-price").textContent = yuan(m.price_fen || 0);
          var pf = document.querySelector("#buy-form [name=product_id]"), ff = document.querySelector("#buy-form [name=flash_id]");
          if (pf) pf.value = m.product_id || "";
          var flash = m.t === "flash";
          if (ff) ff.value = flash ? m.flash_id : "";
          document.getElementById("flash-info").hidden = !flash;
          document.getElementById("live-flash-tag").hidden = !flash;
          if (flash) { document.getElementById("flash-left").textContent = m.remaining; countdown.dataset.ends = m.ends_at; }
          else countdown.dataset.ends = "";
          break;
        case "status":
          if (m.status === "live") { offline.hidden = true; play(video, root.dataset.playback); var ls = document.getElementById("live-status"); ls.innerHTML = '<i class="dot"></i>' + esc(ls.dataset.live); }
          if (m.status === "ended") { if (video._hls) video._hls.destroy(); video.hidden = true; offline.hidden = false; offline.innerHTML = "<p>" + (zh ? "直播已结束。" : "The broadcast has ended.") + "</p>"; es.close(); }
          break;
      }
    };
    var cf = document.getElementById("comment-form");
    if (cf) cf.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = cf.elements.body, err = document.getElementById("comment-error");
      err.hidden = true;
      api("POST", "/api/v1/live/sessions/" + id + "/comments", { body: input.value }).then(function () { input.value = ""; })
        .catch(function (e) { showError(err, e); });
    });
    var lb = document.getElementById("like-button");
    if (lb) lb.addEventListener("click", function () { api("POST", "/api/v1/live/sessions/" + id + "/likes", { n: 1 }).catch(function () {}); });
    var bf = document.getElementById("buy-form"), n = 0;
    if (bf) bf.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var err = document.getElementById("buy-error"), btn = bf.querySelector("button");
      err.hidden = true; btn.disabled = true;
      var line = { product_id: bf.elements.product_id.value, qty: parseInt(bf.elements.qty.value, 10) || 1 };
      if (bf.elements.flash_id.value) line.flash_id = bf.elements.flash_id.value;
      api("POST", "/api/v1/live/sessions/" + id + "/orders", { address_id: bf.elements.address_id.value, lines: [line] },
        { "Idempotency-Key": bf.dataset.key + "-" + (n++) })
        .then(function (o) { location.href = "/orders/" + o.id; })
        .catch(function (e) { btn.disabled = false; showError(err, e); });
    });
  }

  // Console: each live session's comments as they arrive.
  function consoleFeeds() {
    document.querySelectorAll("[data-feed]").forEach(function (el) {
      var list = el.querySelector("ul");
      var es = new EventSource("/live/sessions/" + el.dataset.feed + "/events");
      es.onmessage = function (ev) {
        var m = JSON.parse(ev.data);
        if (m.t === "comment") addComment(list, "<b>" + esc(m.u) + "</b> " + esc(m.text));
        if (m.t === "purchase") addComment(list, "<i>" + purchaseText(m) + "</i>");
        if (m.t === "hello" || m.t === "viewers") el.dataset.viewers = m.n || 0;
      };
    });
  }

  document.addEventListener("DOMContentLoaded", function () { jsonForms(); watchPage(); consoleFeeds(); });
})();
