/* Suqiu workbench: small progressive enhancements. Every page and form works without this file.
 *
 * - the appeal's small map and a hotspot's map of its appeals (SuqiuMap from map.js, which
 *   handles WGS-84 -> GCJ-02 tiles);
 * - "select all" and a live count for bulk dispatch;
 * - one action form open at a time on the appeal page (not the native exclusive <details name>:
 *   an htmx swap inserts the new panel before removing the old one, and the browser would then
 *   close the freshly rendered form that carries an error);
 * - both run again on content htmx swaps in (htmx.onLoad).
 */
(function () {
  "use strict";

  function initMaps(root) {
    if (!window.SuqiuMap || !window.L) return;
    root.querySelectorAll("[data-wb-map]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
      if (!isFinite(lat) || !isFinite(lon)) return;
      var cfg = window.SuqiuMap.config();
      var map = window.SuqiuMap.create(el, cfg, { zoom: 16 });
      map.scrollWheelZoom.disable();
      window.SuqiuMap.showPin(map, lat, lon);
    });
    // A hotspot's member appeals: one marker each (popup: code and title, linking to the appeal),
    // the view fitted to all of them. Titles are residents' text: set as text, never as HTML.
    root.querySelectorAll("[data-wb-points]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      var source = document.getElementById(el.dataset.wbPoints);
      var points = [];
      try { points = JSON.parse(source.textContent) || []; } catch (e) { points = []; }
      if (!points.length) return;
      var map = window.SuqiuMap.create(el, window.SuqiuMap.config(), { zoom: 16 });
      map.scrollWheelZoom.disable();
      var bounds = [];
      var badges = [];
      points.forEach(function (pt) {
        var p = window.SuqiuMap.toMap(pt.lat, pt.lon);
        var popup = document.createElement("a");
        popup.href = pt.url;
        popup.className = "code";
        popup.textContent = pt.code + " " + pt.title;
        var options = { keyboard: true, title: pt.code };
        if (pt.rank) {
          // A ranked list's markers are round badges with the rank, so the map reads with the
          // table (the rank is a number: safe as HTML).
          options.icon = window.L.divIcon({
            className: "hs-rank",
            html: String(Number(pt.rank)),
            iconSize: [26, 26],
            iconAnchor: [13, 13],
          });
          // The hotter on top where they overlap (Leaflet stacks by screen y plus this offset).
          options.zIndexOffset = (1000 - pt.rank) * 1000;
        }
        var marker = window.L.marker(p, options).bindPopup(popup).addTo(map);
        if (pt.rank) badges.push({ marker: marker, at: window.L.latLng(p), rank: pt.rank });
        bounds.push(p);
      });
      // Placed at once, not flown to: the badges are spread for the zoom they are shown at.
      if (bounds.length > 1) map.fitBounds(bounds, { padding: [32, 32], maxZoom: 17, animate: false });
      else map.setView(bounds[0], 16, { animate: false });
      if (badges.length > 1) {
        spreadBadges(map, badges);
        // Spread apart, the badges of a place near the edge may leave the map: zoom out until
        // every rank is in sight (each step halves the distances between places, while the
        // spread keeps its size in pixels).
        for (var out = 0; out < 4 && !badgesInSight(map, badges) && map.getZoom() > map.getMinZoom(); out++) {
          map.setZoom(map.getZoom() - 1, { animate: false });
          spreadBadges(map, badges);
        }
        map.on("zoomend", function () { spreadBadges(map, badges); });
      }
      el.dataset.placed = "1";
    });
  }

  function badgesInSight(map, badges) {
    var size = map.getSize(), margin = 14;  // half a badge and a little
    return badges.every(function (b) {
      var p = map.latLngToContainerPoint(b.marker.getLatLng());
      return p.x >= margin && p.y >= margin && p.x <= size.x - margin && p.y <= size.y - margin;
    });
  }

  // Rank badges that would cover each other at this zoom (hotspots of one community share its
  // centre) are moved apart on a small spiral around their place, the hotter nearer to it, so
  // every rank can be read and clicked; zoomed in far enough, each sits on its own place.
  function spreadBadges(map, badges) {
    var placed = [];
    badges.slice().sort(function (a, b) { return a.rank - b.rank; }).forEach(function (b) {
      var origin = map.latLngToLayerPoint(b.at);
      var spot = origin;
      for (var k = 1; k < 200 && placed.some(function (q) { return q.distanceTo(spot) < 28; }); k++) {
        var angle = k * 2.4;
        var radius = 16 * Math.sqrt(k);
        spot = origin.add(window.L.point(Math.cos(angle) * radius, Math.sin(angle) * radius));
      }
      placed.push(spot);
      b.marker.setLatLng(map.layerPointToLatLng(spot));
    });
  }

  function bulkBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  }

  function updateBulk() {
    var boxes = bulkBoxes();
    var n = boxes.filter(function (b) { return b.checked; }).length;
    document.querySelectorAll("[data-bulk-count]").forEach(function (el) {
      el.textContent = n ? "(" + n + ")" : "";
    });
    document.querySelectorAll("[data-bulk-submit]").forEach(function (btn) { btn.disabled = n === 0; });
    document.querySelectorAll("[data-check-all]").forEach(function (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    });
    boxes.forEach(function (b) {
      var row = b.closest("tr");
      if (row) row.classList.toggle("selected", b.checked);
    });
  }

  function initBulk(root) {
    if (!root.querySelector || !document.getElementById("bulk-form")) return;
    updateBulk();
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-check-all]")) {
      bulkBoxes().forEach(function (b) { b.checked = t.checked; });
      updateBulk();
    } else if (t.matches && t.matches('input[name="ids"][form="bulk-form"]')) {
      updateBulk();
    }
  });

  // "toggle" does not bubble: listen in the capture phase.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.matches || !d.matches("details.act") || !d.open) return;
    var panel = d.closest(".ap-actions");
    if (!panel) return;
    panel.querySelectorAll("details.act[open]").forEach(function (other) {
      if (other !== d) other.open = false;
    });
  }, true);

  // Filter requests carry only the filters in use, so pushed URLs stay short and shareable.
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb !== "get" || !e.detail.elt || e.detail.elt.id !== "wb-filters") return;
    var params = e.detail.parameters;
    Object.keys(params).forEach(function (k) {
      if (params[k] === "" || (k === "order" && params[k] === "urgency")) delete params[k];
    });
  });

  // Phones show the queues as a scrolling row of chips: keep the selected one in view.
  function revealActiveQueue(root) {
    var active = root.querySelector && root.querySelector(".wb-queues a.active");
    var row = active && active.closest("ul");
    if (row && row.scrollWidth > row.clientWidth) {
      row.scrollLeft = active.offsetLeft - row.offsetLeft - 8;
    }
  }

  // After an action the refreshed panel says "Done: ..." at its top; on a phone the button was
  // far below it: bring the notice into view when it is out of sight.
  function revealNotice(root) {
    var notice = root.querySelector && root.querySelector(".ap-notice[role=status]");
    if (!notice || root === document) return;
    var box = notice.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      notice.scrollIntoView({ block: "center" });
    }
  }

  function init(root) {
    initMaps(root);
    revealActiveQueue(root);
    initBulk(root);
    revealNotice(root);
  }

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
