/* Suqiu map helper (Leaflet), shared by the resident pages and the workbench.
 *
 * Suqiu stores WGS-84. Map tiles come from the configured URL (SUQIU_MAP, rendered with
 * json_script as #suqiu-map-config); Chinese tile providers use GCJ-02, so when the config says
 * gcj02 every point is shifted for display and shifted back when picked. Tiles may not load at
 * all (offline deployments): the map still works on a blank background, and the grid boundaries
 * from /grids.geojson show where things are.
 *
 *   SuqiuMap.config([id])                     -> {tile_url, attribution, gcj02, center}
 *   SuqiuMap.create(element, [cfg], [opts])   -> L.Map  (opts.zoom, opts.onTilesFailed)
 *   SuqiuMap.showGrids(map, url, [opts])      -> Promise<L.GeoJSON|null>  (opts.fit, opts.labels)
 *   SuqiuMap.pinPicker(map, {latInput, lonInput, onChange}) -> {set(lat, lon), clear(), get()}
 *   SuqiuMap.showPin(map, lat, lon)           -> L.Marker
 *   SuqiuMap.toMap(lat, lon) / fromMap(lat, lon) -> [lat, lon]  (WGS-84 <-> displayed coordinates)
 */
(function (window) {
  "use strict";

  var L = window.L;
  var current = { gcj02: false };

  // --- WGS-84 <-> GCJ-02 (the published offset formula; identity outside mainland China) ----------
  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outOfChina(lat, lon) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function offsetLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    return r;
  }

  function offsetLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    return r;
  }

  function wgsToGcj(lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon];
    var dLat = offsetLat(lon - 105.0, lat - 35.0);
    var dLon = offsetLon(lon - 105.0, lat - 35.0);
    var radLat = (lat / 180.0) * Math.PI;
    var magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
    dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lon + dLon];
  }

  function gcjToWgs(lat, lon) {
    // No closed form: iterate until the forward shift of our guess lands on the given point.
    var gLat = lat, gLon = lon;
    for (var i = 0; i < 10; i++) {
      var f = wgsToGcj(gLat, gLon);
      var eLat = f[0] - lat, eLon = f[1] - lon;
      gLat -= eLat;
      gLon -= eLon;
      if (Math.abs(eLat) < 1e-9 && Math.abs(eLon) < 1e-9) break;
    }
    return [gLat, gLon];
  }

  function toMap(lat, lon) {
    return current.gcj02 ? wgsToGcj(lat, lon) : [lat, lon];
  }

  function fromMap(lat, lon) {
    return current.gcj02 ? gcjToWgs(lat, lon) : [lat, lon];
  }

  // --- Map -------------------------------------------------------------------------------------------

  function config(id) {
    var el = document.getElementById(id || "suqiu-map-config");
    var cfg = {};
    if (el) {
      try { cfg = JSON.parse(el.textContent) || {}; } catch (e) { cfg = {}; }
    }
    if (!cfg.center || cfg.center.length !== 2) cfg.center = [22.7185, 114.2469];
    return cfg;
  }

  // Leaflet guesses its marker images' folder from its CSS, which breaks once the production
  // static storage renames files with content hashes; the page passes the real URLs instead.
  function useIconUrls(icons) {
    if (!icons || !icons.icon) return;
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({ iconUrl: icons.icon, iconRetinaUrl: icons.icon_2x, shadowUrl: icons.shadow });
  }

  function create(element, cfg, opts) {
    cfg = cfg || config();
    opts = opts || {};
    useIconUrls(cfg.icons);
    current.gcj02 = !!cfg.gcj02;
    var map = L.map(element, { zoomControl: true, attributionControl: true });
    map.setView(toMap(cfg.center[0], cfg.center[1]), opts.zoom || 13);
    if (cfg.tile_url) {
      var tiles = L.tileLayer(cfg.tile_url, { maxZoom: 19, attribution: cfg.attribution || "" });
      var failed = 0, told = false;
      tiles.on("tileerror", function () {
        failed += 1;
        if (!told && failed >= 4) {
          told = true;
          element.classList.add("tiles-offline");
          if (opts.onTilesFailed) opts.onTilesFailed();
        }
      });
      tiles.on("tileload", function () { element.classList.remove("tiles-offline"); });
      tiles.addTo(map);
    }
    return map;
  }

  function showGrids(map, url, opts) {
    opts = opts || {};
    if (!url || !window.fetch) return Promise.resolve(null);
    return window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features || !data.features.length) return null;
        var labels = opts.labels !== undefined ? opts.labels : data.features.length <= 40;
        var layer = L.geoJSON(data, {
          interactive: opts.interactive !== undefined ? opts.interactive : false,
          coordsToLatLng: function (c) { var p = toMap(c[1], c[0]); return L.latLng(p[0], p[1]); },
          style: function () {
            return { color: "#c8102e", weight: 2, opacity: 0.8, fillColor: "#c8102e", fillOpacity: 0.05, dashArray: "4 4" };
          },
          onEachFeature: function (feature, lyr) {
            var name = feature.properties && feature.properties.name;
            if (name && labels) {
              lyr.bindTooltip(String(name), { permanent: true, direction: "center", className: "grid-label" });
            }
          },
        }).addTo(map);
        if (opts.fit && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
        if (labels) {
          // A label shows only while its grid is wide enough on screen to hold its text, so at district
          // zoom on a phone thirty names do not pile up over the map (zoom in to read them).
          var fitLabels = function () {
            layer.eachLayer(function (lyr) {
              var tip = lyr.getTooltip && lyr.getTooltip();
              if (!tip || !lyr.getBounds) return;
              var b = lyr.getBounds();
              var width = map.latLngToContainerPoint(b.getNorthEast()).x - map.latLngToContainerPoint(b.getSouthWest()).x;
              var el = tip.getElement && tip.getElement();
              if (el && lyr.isTooltipOpen()) lyr._suqiuLabelWidth = el.offsetWidth;
              var wide = width >= (lyr._suqiuLabelWidth || 60) + 6;
              if (wide && !lyr.isTooltipOpen()) lyr.openTooltip();
              if (!wide && lyr.isTooltipOpen()) lyr.closeTooltip();
            });
          };
          map.on("zoomend", fitLabels);
          fitLabels();
        }
        return layer;
      })
      .catch(function () { return null; });
  }

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  function pinPicker(map, options) {
    var latInput = options.latInput, lonInput = options.lonInput;
    var marker = null;

    function place(lat, lon) {
      var p = toMap(lat, lon);
      if (marker) {
        marker.setLatLng(p);
      } else {
        marker = L.marker(p, { draggable: true, keyboard: true, autoPan: true }).addTo(map);
        marker.on("dragend", function () {
          var ll = marker.getLatLng();
          var w = fromMap(ll.lat, ll.lng);
          write(w[0], w[1]);
        });
      }
    }

    function write(lat, lon) {
      latInput.value = lat === null ? "" : String(round6(lat));
      lonInput.value = lon === null ? "" : String(round6(lon));
      if (options.onChange) options.onChange(get());
    }

    function get() {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      return isFinite(lat) && isFinite(lon) ? { lat: lat, lon: lon } : null;
    }

    function set(lat, lon) {
      place(lat, lon);
      write(lat, lon);
    }

    function clear() {
      if (marker) { map.removeLayer(marker); marker = null; }
      write(null, null);
    }

    map.on("click", function (e) {
      var w = fromMap(e.latlng.lat, e.latlng.lng);
      set(w[0], w[1]);
    });

    var initial = get();
    if (initial) {
      place(initial.lat, initial.lon);
      map.setView(toMap(initial.lat, initial.lon), Math.max(map.getZoom(), 16));
    }
    return { set: set, clear: clear, get: get };
  }

  function showPin(map, lat, lon) {
    var p = toMap(lat, lon);
    map.setView(p, 16);
    return L.marker(p, { keyboard: false }).addTo(map);
  }

  window.SuqiuMap = {
    config: config,
    create: create,
    showGrids: showGrids,
    pinPicker: pinPicker,
    showPin: showPin,
    toMap: toMap,
    fromMap: fromMap,
    wgsToGcj: wgsToGcj,
    gcjToWgs: gcjToWgs,
  };
})(window);
