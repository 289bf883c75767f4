/* bereik web map: draws the layers from this API (no external services).
 *
 * Villages are coloured by the distance to the nearest facility of the chosen category and
 * profile (GET villages?category=&profile=), facilities of that category are drawn as small
 * white circles, the road network of the profile is the backdrop (GET collections/edges_<p>/items),
 * and a click on the map draws isochrones (GET isochrones?lon=&lat=&profile=&minutes=).
 * URLs are relative, so the page works behind a proxy prefix.
 */
(function () {
  "use strict";

  const DISTANCE_CLASSES = [  // upper bound in metres, colour, label
    [1000, "#1a9850", "< 1 km"],
    [3000, "#91cf60", "1 - 3 km"],
    [5000, "#fee08b", "3 - 5 km"],
    [10000, "#fc8d59", "5 - 10 km"],
    [Infinity, "#d73027", "> 10 km"],
  ];
  const NO_DATA = "#9e9e9e";
  const ISO_MINUTES = [5, 10, 15];
  const ISO_COLOURS = ["#2166ac", "#67a9cf", "#d1e5f0"];
  const OSM = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors";

  const state = { build: null, meta: null, category: null, profile: "car", builds: [] };
  const map = L.map("map", { preferCanvas: false, zoomSnap: 0.25 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(OSM);
  map.setView([52.85, 6.6], 9);  // Drenthe until the build's extent is known

  // panes keep the drawing order: roads, then isochrones, then facilities and villages
  map.createPane("roads").style.zIndex = 300;
  map.createPane("white").style.zIndex = 320;
  map.createPane("grid").style.zIndex = 310;
  map.createPane("isochrones").style.zIndex = 350;
  const svg = L.svg();
  const isoSvg = L.svg({ pane: "isochrones" });
  const canvas = L.canvas({ pane: "roads" });
  const edgeLayer = L.layerGroup().addTo(map);
  const whiteLayer = L.layerGroup();  // broadband white areas, off until switched on
  const whiteSvg = L.svg({ pane: "white" });
  const gridLayer = L.layerGroup();  // persons grid (builds with origins), off until switched on
  const gridSvg = L.svg({ pane: "grid" });
  const isoLayer = L.layerGroup().addTo(map);
  const facilityLayer = L.layerGroup().addTo(map);
  const villageLayer = L.layerGroup().addTo(map);
  window.bereik = { map: map, state: state, villageLayer: villageLayer, isoLayer: isoLayer };

  // --- helpers --------------------------------------------------------------------------------
  function query(params) {
    const q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined) q.set(k, params[k]);
    });
    if (state.build) q.set("build", state.build);
    const s = q.toString();
    return s ? "?" + s : "";
  }

  async function api(path, params) {
    const url = path.indexOf("?") >= 0 || !params ? path : path + query(params);
    const r = await fetch(url, { headers: { Accept: "application/geo+json, application/json" } });
    const body = await r.json().catch(function () { return {}; });
    if (!r.ok) throw new Error(body.detail || (r.status + " " + r.statusText));
    return body;
  }

  let statusEl = null;
  function status(text, isError) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.className = "status" + (isError ? " error" : "");
  }

  function colour(distance) {
    if (distance === null || distance === undefined) return NO_DATA;
    for (const c of DISTANCE_CLASSES) if (distance < c[0]) return c[1];
    return NO_DATA;
  }

  function km(m) { return m === null || m === undefined ? "-" : (m / 1000).toFixed(1) + " km"; }
  function min(s) { return s === null || s === undefined ? "-" : (s / 60).toFixed(1) + " min"; }
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function categoryLabel(id) {
    const c = (state.meta.categories || []).find(function (x) { return x.id === id; });
    return c ? c.label : id;
  }

  function profileLabel(id) {
    return (state.meta.profile_labels || {})[id] || id;
  }

  // --- layers ---------------------------------------------------------------------------------
  async function loadEdges() {
    edgeLayer.clearLayers();
    const limit = (state.limits && state.limits.max_items) || 1000;
    let url = "collections/edges_" + state.profile + "/items" + query({ limit: limit });
    while (url) {
      const fc = await api(url);
      L.geoJSON(fc, {
        renderer: canvas, pane: "roads", interactive: false,
        style: { color: "#8d8d8d", weight: 1, opacity: 0.7 },
      }).addTo(edgeLayer);
      const next = (fc.links || []).find(function (l) { return l.rel === "next"; });
      url = next ? next.href : null;
    }
  }

  async function loadWhiteAreas() {
    whiteLayer.clearLayers();
    const limit = (state.limits && state.limits.max_items) || 1000;
    let url = "collections/white_areas/items" + query({ limit: limit });
    while (url) {
      const fc = await api(url);
      L.geoJSON(fc, {
        renderer: whiteSvg, pane: "white", interactive: false,
        style: { color: "#6a3d9a", weight: 0.5, fillColor: "#6a3d9a", fillOpacity: 0.18,
                 className: "white-area" },
      }).addTo(whiteLayer);
      const next = (fc.links || []).find(function (l) { return l.rel === "next"; });
      url = next ? next.href : null;
    }
  }

  async function loadFacilities() {
    facilityLayer.clearLayers();
    const fc = await api("facilities", { category: state.category });
    L.geoJSON(fc, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          renderer: svg, radius: 4, color: "#222", weight: 1, fillColor: "#fff",
          fillOpacity: 1, className: "facility-marker",
        });
      },
      onEachFeature: function (f, layer) {
        const p = f.properties;
        layer.bindTooltip(esc(p.name || categoryLabel(p.category)) + " (" + esc(p.category) + ")");
      },
    }).addTo(facilityLayer);
    return fc.features.length;
  }

  async function loadVillages() {
    villageLayer.clearLayers();
    const fc = await api("villages", { category: state.category, profile: state.profile });
    L.geoJSON(fc, {
      pointToLayer: function (f, latlng) {
        const pop = f.properties.population;
        const dd = f.properties.double_disadvantage === true;
        return L.circleMarker(latlng, {
          renderer: svg, radius: pop ? Math.max(5, Math.min(14, Math.sqrt(pop) / 6)) : 5,
          // double disadvantage (remote AND in a white area): a thick black ring
          color: dd ? "#000" : "#333", weight: dd ? 4 : 1,
          fillColor: colour(f.properties.distance_m),
          fillOpacity: 0.9, className: dd ? "village-marker double-disadvantage" : "village-marker",
        });
      },
      onEachFeature: function (f, layer) {
        const p = f.properties;
        const reason = p.reason ? "<br>no value: " + esc(p.reason) : "";
        const over = p.method && p.method !== "place_point" ?
          "<br>mean over " + (p.persons !== null && p.persons !== undefined ?
            Math.round(p.persons) + " residents" : Math.round(p.weight) + " dwellings") +
          " (" + esc(p.method) + "); p90 " + km(p.p90_distance_m) : "";
        const bb = p.broadband_class === undefined ? "" :
          "<br>broadband: " + esc(p.broadband_class || "unknown") +
          (p.max_mbps === null || p.max_mbps === undefined ? "" :
            " (" + Number(p.max_mbps).toFixed(0) + " Mbit/s)") +
          (p.double_disadvantage ? "<br><b>double disadvantage</b>: far from services and " +
            "without fast internet" : "");
        layer.bindPopup(
          "<b>" + esc(p.village_name) + "</b> (" + esc(p.municipality || "-") + ")<br>" +
          "population: " + esc(p.population === null ? "unknown" : p.population) + "<br>" +
          esc(categoryLabel(state.category)) + " by " + esc(profileLabel(state.profile)) + ": " +
          km(p.distance_m) + ", " + min(p.travel_time_s) + over + reason + bb
        );
        layer.on("click", function (e) { L.DomEvent.stopPropagation(e); });
      },
    }).addTo(villageLayer);
    return fc.features.length;
  }

  async function isochrone(latlng) {
    status("computing isochrones...");
    try {
      const fc = await api("isochrones", {
        lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6), profile: state.profile,
        minutes: ISO_MINUTES.join(","),
      });
      isoLayer.clearLayers();
      const features = fc.features.slice().sort(function (a, b) {
        return b.properties.contour - a.properties.contour;  // largest below
      });
      L.geoJSON({ type: "FeatureCollection", features: features }, {
        renderer: isoSvg, pane: "isochrones",
        style: function (f) {
          const i = ISO_MINUTES.indexOf(f.properties.minutes);
          return { color: "#08306b", weight: 1, fillColor: ISO_COLOURS[i < 0 ? 0 : i],
                   fillOpacity: 0.35, className: "isochrone" };
        },
        onEachFeature: function (f, layer) {
          const p = f.properties;
          layer.bindTooltip(p.contour + " " + p.unit + " by " + esc(profileLabel(p.profile)) + ": " +
            (p.area_m2 / 1e6).toFixed(1) + " km², population " +
            (p.population === null ? "unknown" : Math.round(p.population)) +
            " in " + p.villages + " villages");
        },
      }).addTo(isoLayer);
      status(fc.features.length + " isochrone polygons (" + ISO_MINUTES.join(", ") + " min by " +
             profileLabel(state.profile) + "); click elsewhere for another");
    } catch (err) {
      status(err.message, true);
    }
  }

  async function loadGrid() {
    gridLayer.clearLayers();
    const limit = (state.limits && state.limits.max_items) || 1000;
    let url = "collections/persons_grid/items" + query({ category: state.category, limit: limit });
    while (url) {
      const fc = await api(url);
      L.geoJSON(fc, {
        renderer: gridSvg, pane: "grid",
        style: function (f) {
          return { color: "#555", weight: 0.3, fillColor: colour(f.properties.distance_m),
                   fillOpacity: 0.55, className: "persons-cell" };
        },
        onEachFeature: function (f, layer) {
          const p = f.properties;
          layer.bindTooltip(Math.round(p.weight) + (p.method === "addresses" ? " dwellings" :
            " residents") + ", mean " + km(p.distance_m) + " to " +
            esc(categoryLabel(state.category)) + " by car");
        },
      }).addTo(gridLayer);
      const next = (fc.links || []).find(function (l) { return l.rel === "next"; });
      url = next ? next.href : null;
    }
  }

  async function refresh(withEdges) {
    status("loading...");
    try {
      const tasks = [loadVillages(), loadFacilities()];
      if (withEdges) tasks.push(loadEdges());
      if (map.hasLayer(gridLayer)) tasks.push(loadGrid());
      const counts = await Promise.all(tasks);
      status(counts[0] + " villages, " + counts[1] + " facilities; click the map for isochrones");
    } catch (err) {
      status(err.message, true);
    }
  }

  // --- controls -------------------------------------------------------------------------------
  function select(container, label, id, options, value, onChange) {
    const l = L.DomUtil.create("label", "", container);
    l.textContent = label;
    l.htmlFor = id;
    const s = L.DomUtil.create("select", "", container);
    s.id = id;
    options.forEach(function (o) {
      const opt = document.createElement("option");
      opt.value = o[0];
      opt.textContent = o[1];
      s.appendChild(opt);
    });
    s.value = value;
    s.addEventListener("change", function () { onChange(s.value); });
    return s;
  }

  function addPanel() {
    const panel = L.control({ position: "topright" });
    panel.onAdd = function () {
      const div = L.DomUtil.create("div", "panel");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      const h = L.DomUtil.create("h1", "", div);
      h.textContent = "bereik";
      if (state.builds.length > 1) {
        select(div, "Build", "build", state.builds.map(function (b) { return [b.name, b.name]; }),
          state.build, function (v) { window.location.search = "?build=" + encodeURIComponent(v); });
      }
      select(div, "Facility", "category",
        state.meta.categories.map(function (c) {
          return [c.id, c.label + " (" + c.facilities + ")"];
        }), state.category, function (v) { state.category = v; refresh(false); });
      select(div, "Travel by", "profile",
        state.meta.profiles.map(function (p) { return [p, profileLabel(p)]; }), state.profile,
        function (v) { state.profile = v; isoLayer.clearLayers(); refresh(true); });
      const hint = L.DomUtil.create("p", "hint", div);
      hint.textContent = "Click the map for 5/10/15-minute isochrones; click a village for its values.";
      statusEl = L.DomUtil.create("div", "status", div);
      statusEl.id = "status";
      return div;
    };
    panel.addTo(map);
  }

  function addLegend() {
    const legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      const div = L.DomUtil.create("div", "panel legend");
      div.id = "legend";
      let html = "<h2>Distance to nearest facility</h2>";
      const methods = Object.keys((state.meta.origins || {}).methods || {});
      const perDwelling = methods.length === 1 && methods[0] === "addresses";
      html += "<div class=\"hint\" id=\"legend-method\">" + (state.meta.default_method !== "persons" ?
        "from the village point" : perDwelling ?
        "mean over the dwellings of each village (no population known)" :
        "mean over the residents of each village (every address, weighted)") + "</div>";
      DISTANCE_CLASSES.forEach(function (c) {
        html += "<div><i class=\"round\" style=\"background:" + c[1] + "\"></i>" + c[2] + "</div>";
      });
      html += "<div><i class=\"round\" style=\"background:" + NO_DATA + "\"></i>no facility / unreachable</div>";
      html += "<div class=\"section\"><i class=\"round\" style=\"background:#fff\"></i>facility</div>";
      ISO_MINUTES.forEach(function (m, i) {
        html += "<div><i style=\"background:" + ISO_COLOURS[i] + "\"></i>isochrone " + m + " min</div>";
      });
      html += "<div><i style=\"border:0;border-top:2px solid #8d8d8d;height:0;vertical-align:3px\"></i>road network</div>";
      if (state.meta.broadband) {
        html += "<div><i style=\"background:rgba(106,61,154,0.3)\"></i>broadband white area" +
          (state.meta.synthetic_coverage ? " (SYNTHETIC)" : "") + "</div>";
        html += "<div><i class=\"round\" style=\"background:#fff;border:3px solid #000\"></i>" +
          "double disadvantage: remote and offline</div>";
      }
      div.innerHTML = html;
      return div;
    };
    legend.addTo(map);
  }

  // --- start ----------------------------------------------------------------------------------
  async function start() {
    const params = new URLSearchParams(window.location.search);
    let info;
    try {
      info = await fetch("builds").then(function (r) { return r.json(); });
    } catch (err) {
      info = { builds: [] };
    }
    state.builds = info.builds || [];
    state.limits = info.limits;
    if (info.tile_url) {
      L.tileLayer(info.tile_url, { attribution: info.tile_attribution, maxZoom: 19 }).addTo(map);
    }
    if (!state.builds.length) {
      const health = await fetch("health").then(function (x) { return x.json(); })
        .catch(function () { return {}; });
      const panel = L.control({ position: "topright" });
      panel.onAdd = function () {
        const div = L.DomUtil.create("div", "panel");
        div.innerHTML = "<h1>bereik</h1>";
        statusEl = L.DomUtil.create("div", "status", div);
        statusEl.id = "status";
        return div;
      };
      panel.addTo(map);
      status(health.detail || "no build loaded", true);
      return;
    }
    const wanted = params.get("build");
    state.meta = state.builds.find(function (b) { return b.name === wanted; }) ||
      state.builds.find(function (b) { return b.default; }) || state.builds[0];
    state.build = state.meta.name;
    const withFacilities = state.meta.categories.filter(function (c) { return c.facilities > 0; });
    state.category = params.get("category") ||
      (withFacilities.find(function (c) { return c.id === "gp"; }) || withFacilities[0] ||
       state.meta.categories[0]).id;
    state.profile = params.get("profile") || state.meta.default_profile;
    if (state.meta.bbox) {
      const b = state.meta.bbox;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [20, 20] });
    }
    addPanel();
    addLegend();
    const overlays = { "Road network": edgeLayer };
    if (state.meta.broadband) {
      const label = "White areas (broadband)" +
        (state.meta.synthetic_coverage ? " – SYNTHETIC sample" : "");
      overlays[label] = whiteLayer;
      map.on("overlayadd", function (e) {
        if (e.layer === whiteLayer && !whiteLayer.getLayers().length) {
          loadWhiteAreas().catch(function (err) { status(err.message, true); });
        }
      });
    }
    if (state.meta.default_method === "persons") {
      overlays["Where the residents live (250 m grid, mean car distance)"] = gridLayer;
      map.on("overlayadd", function (e) {
        if (e.layer === gridLayer) loadGrid().catch(function (err) { status(err.message, true); });
      });
    }
    L.control.layers(null, overlays, { position: "topleft", collapsed: false }).addTo(map);
    map.on("click", function (e) { isochrone(e.latlng); });
    await refresh(true);
  }

  start();
})();
