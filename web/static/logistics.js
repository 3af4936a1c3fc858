// Station console: scan a pickup QR code with the phone camera where the browser
// offers BarcodeDetector; typing the code works everywhere. (No inline scripts:
// the content security policy forbids them.)
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    document.querySelectorAll("button.scan-qr").forEach(function (btn) {
      var form = document.getElementById(btn.dataset.target);
      var video = form.querySelector("video.qr-video");
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
          video.srcObject = stream; video.hidden = false; video.play();
          var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
          var tick = function () {
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stop();
                form.elements.code.value = codes[0].rawValue;
                form.submit();
              } else { requestAnimationFrame(tick); }
            }).catch(function () { stop(); });
          };
          requestAnimationFrame(tick);
        }).catch(function () { btn.hidden = true; });
      });
    });
  });
})();
