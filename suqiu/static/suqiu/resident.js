/* Resident pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }

  // "Report anonymously" hides the name and phone fields (the server ignores them anyway).
  function initAnonymous() {
    var box = $("#id_is_anonymous");
    var fields = $("[data-identity]");
    if (!box || !fields) return;
    function sync() {
      fields.hidden = box.checked;
      fields.querySelectorAll("input").forEach(function (i) { i.disabled = box.checked; });
    }
    box.addEventListener("change", sync);
    sync();
  }

  // Copy the tracking code.
  function initCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var src = $(btn.getAttribute("data-copy"));
        var status = $("#copy-status");
        if (!src) return;
        var text = src.textContent.trim();
        function done() {
          if (status) status.textContent = btn.getAttribute("data-copied") + ": " + text;
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, fallback);
        } else {
          fallback();
        }
        function fallback() {
          var range = document.createRange();
          range.selectNodeContents(src);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          try { document.execCommand("copy"); done(); } catch (e) { /* the code stays selected */ }
        }
      });
    });
  }

  // Tell how many photos were chosen, and warn before sending too many or too large ones.
  function initPhotos() {
    var input = $("#id_photos");
    var out = $("#photo-summary");
    if (!input || !out) return;
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      var max = parseInt(input.getAttribute("data-max"), 10) || 0;
      var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
      var msgs = [];
      if (files.length) msgs.push(out.getAttribute("data-chosen") + " " + files.length);
      if (max && files.length > max) msgs.push(out.getAttribute("data-too-many"));
      if (maxBytes && files.some(function (f) { return f.size > maxBytes; })) msgs.push(out.getAttribute("data-too-big"));
      out.textContent = msgs.join(" ");
      out.classList.toggle("errorlist", msgs.length > 1);
    });
  }

  // The pin picker on the report form.
  function initPickMap() {
    var el = $("#pick-map");
    if (!el || !window.L || !window.SuqiuMap) return;
    var latInput = document.getElementById(el.getAttribute("data-lat-input"));
    var lonInput = document.getElementById(el.getAttribute("data-lon-input"));
    var status = $("#pin-status");
    var clearBtn = $("#pin-clear");
    var locateBtn = $("#pin-locate");
    var map = window.SuqiuMap.create(el);
    function show(pin) {
      if (status) {
        status.textContent = pin
          ? status.getAttribute("data-set") + " (" + pin.lat.toFixed(5) + ", " + pin.lon.toFixed(5) + ")"
          : status.getAttribute("data-empty");
      }
      if (clearBtn) clearBtn.hidden = !pin;
    }
    var picker = window.SuqiuMap.pinPicker(map, { latInput: latInput, lonInput: lonInput, onChange: show });
    show(picker.get());
    window.SuqiuMap.showGrids(map, el.getAttribute("data-grids-url"), { fit: !picker.get() });
    if (clearBtn) clearBtn.addEventListener("click", function () { picker.clear(); });
    if (locateBtn && navigator.geolocation && window.isSecureContext) {
      locateBtn.hidden = false;
      locateBtn.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            picker.set(pos.coords.latitude, pos.coords.longitude);
            map.setView(window.SuqiuMap.toMap(pos.coords.latitude, pos.coords.longitude), 17);
          },
          function () { locateBtn.hidden = true; },
          { enableHighAccuracy: true, timeout: 10000 }
        );
      });
    }
  }

  // The read-only map on "my appeal".
  function initMineMap() {
    var el = $("#mine-map");
    if (!el || !window.L || !window.SuqiuMap) return;
    var lat = parseFloat(el.getAttribute("data-lat")), lon = parseFloat(el.getAttribute("data-lon"));
    var map = window.SuqiuMap.create(el);
    window.SuqiuMap.showGrids(map, el.getAttribute("data-grids-url"), { fit: false, labels: false });
    if (isFinite(lat) && isFinite(lon)) window.SuqiuMap.showPin(map, lat, lon);
  }

  function init() {
    initAnonymous();
    initCopy();
    initPhotos();
    initPickMap();
    initMineMap();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
