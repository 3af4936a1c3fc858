// Fishpond pages: charts from data-* attributes (the content security policy allows
// no inline scripts) and upload progress on the import form.
(function () {
  "use strict";
  var palette = ["#1f7a4d", "#f79009", "#2e90fa", "#d92d20", "#7a5af8", "#12b76a", "#ee46bc", "#667085", "#0e9384", "#dc6803", "#6172f3", "#98a2b3"];

  function drawCharts() {
    if (!window.echarts) return;
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var items = JSON.parse(el.getAttribute("data-items") || "[]") || [];
      var chart = echarts.init(el, null, { renderer: "svg" });
      var opt;
      if (el.dataset.chart === "pie") {
        // Labels carry only the count; names are in the legend, so nothing overlaps
        // on a 360px phone.
        opt = { color: palette, tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" }, legend: { bottom: 0 },
          series: [{ type: "pie", radius: ["36%", "62%"], center: ["50%", "42%"], data: items, label: { formatter: "{c}" } }] };
      } else {
        opt = { color: palette, tooltip: { trigger: "axis" }, grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
          xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: items.map(function (i) { return i.name; }) },
          series: [{ type: "bar", data: items.map(function (i) { return i.value; }), label: { show: true, position: "right" } }] };
      }
      if (el.dataset.series) {
        opt = JSON.parse(el.dataset.series);
        opt.color = palette;
      }
      chart.setOption(opt);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // Import: send with XMLHttpRequest to show upload progress, then show the report.
  function importProgress() {
    var form = document.getElementById("import-form");
    if (!form || !window.FormData) return;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var bar = form.querySelector("progress.upload"), btn = form.querySelector("button[type=submit]");
      bar.hidden = false; btn.disabled = true; btn.textContent = btn.dataset.busy;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) bar.value = Math.round(ev.loaded * 90 / ev.total); };
      xhr.onload = function () { bar.value = 100; document.open(); document.write(xhr.responseText); document.close(); };
      xhr.onerror = function () { form.submit(); };
      xhr.send(new FormData(form));
    });
  }

  // Demo logins: one tap fills the form and logs in.
  function demoLogins() {
    document.querySelectorAll("button[data-login]").forEach(function (b) {
      b.addEventListener("click", function () {
        var f = document.querySelector("form[action='/login']");
        f.elements.name.value = b.dataset.login;
        f.elements.password.value = b.dataset.password;
        f.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(); importProgress(); demoLogins(); });
})();
