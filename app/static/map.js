/* bereik web map: draws the layers from this API (no external services).
 *
 * Three views of one category and profile:
 * - accessibility: villages coloured by the road distance (or travel time) to the nearest
 *   facility (GET villages?category=&profile=), a symbol of its own for each reason a value
 *   is missing, circles sized by residents; isochrones from a click or a village
 *   (GET isochrones?...&minutes= or &meters=);
 * - what if: a click on a facility closes it, a click elsewhere opens one (POST scenarios);
 *   villages coloured by how they change, with the summary the API returns; suggested
 *   sites for the category (POST suggest) as numbered pins, each one click from opening it
 *   in the scenario;
 * - compare: two loaded builds (GET compare?old=&new=), villages coloured by the change.
 * Village names declutter by zoom (a collision pass, the largest villages first). Under
 * everything the build's own basemap (GET basemap) when the service has one, or the tiles
 * of BEREIK_TILE_URL. Strings live in i18n.js (Dutch by default). URLs are relative, so the
 * page works behind a proxy prefix.
 */
(function () {
  "use strict";

  const I18N = window.BEREIK_I18N;
  const t = I18N.t;

  const DISTANCE_CLASSES = [  // upper bound in metres, colour, label
    [1000, "#1a9850", "< 1 km"],
    [3000, "#91cf60", "1 - 3 km"],
    [5000, "#fee08b", "3 - 5 km"],
    [10000, "#fc8d59", "5 - 10 km"],
    [Infinity, "#d73027", "> 10 km"],
  ];
  const NO_DATA = "#9e9e9e";
  const TIME_CLASSES = [  // upper bound in seconds, colour, label (the same colours)
    [300, "#1a9850", "< 5 min"],
    [600, "#91cf60", "5 - 10 min"],
    [900, "#fee08b", "10 - 15 min"],
    [1800, "#fc8d59", "15 - 30 min"],
    [Infinity, "#d73027", "> 30 min"],
  ];
  // what if / compare: how a village changes (diverging, green closer, red farther)
  const CHANGE_CLASSES = [
    ["gained", "#1b7837"], ["much_better", "#5aae61"], ["better", "#a6dba0"],
    ["same", "#f7f7f7"], ["worse", "#f4a582"], ["much_worse", "#d6604d"], ["lost", "#67001f"],
  ];
  const BIG_CHANGE = { distance: 1000, time: 120 };  // metres, seconds
  const TOLERANCE = { distance: 0.5, time: 0.5 };    // as the API's status (0.5 m)
  const REASONS = ["no_facility", "unreachable", "not_on_network"];
  const REASON_STYLE = {  // a missing value is never a colour of the classes
    no_facility: { fillColor: "#ffffff", fillOpacity: 0.55, color: "#444", weight: 1.5,
                   dashArray: "3 2" },
    unreachable: { fillColor: NO_DATA, fillOpacity: 0.95, color: "#222", weight: 1 },
    not_on_network: { fillColor: "url(#bereik-hatch)", fillOpacity: 1, color: "#222",
                      weight: 1 },
  };
  const ISO_RAMP = [[8, 48, 107], [107, 174, 214]];  // smallest contour dark, largest light
  const BASEMAP_STYLE = {  // kind -> Leaflet path style; muted, under the data
    built_up: { fillColor: "#e3ddd3", fillOpacity: 0.9, stroke: false, maxZoom: 13.5 },
    farmland: { fillColor: "#f3f0de", fillOpacity: 0.9, stroke: false },
    grass: { fillColor: "#dcebc4", fillOpacity: 0.9, stroke: false },
    forest: { fillColor: "#bcd7a5", fillOpacity: 0.9, stroke: false },
    wetland: { fillColor: "#cfe3dc", fillOpacity: 0.9, stroke: false },
    residential: { fillColor: "#e1dbd3", fillOpacity: 0.9, stroke: false, minZoom: 12 },
    industrial: { fillColor: "#e0d7e3", fillOpacity: 0.9, stroke: false, minZoom: 12 },
    water: { fillColor: "#a9cde0", fillOpacity: 1, stroke: false },
    waterway: { color: "#8cbcd6", weight: 1.5, fill: false },
  };
  const PLACE_RANK_BY_ZOOM = [[10, 2], [12, 3], [13.5, 4], [Infinity, 5]];  // zoom < z: rank <= r
  const OSM = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors";
  const LABEL_FONT = "600 12px system-ui, sans-serif";
  const PLACE_FONT = "italic 12px system-ui, sans-serif";

  const state = {
    builds: [], limits: null, meta: null, build: null, category: null, profile: "car",
    measure: "distance", mode: "explore", villages: null, facilities: null,
    scenario: { close: [], open: [], result: null }, compare: null,
    compareOld: null, compareNew: null, tileUrl: null, basemap: null,
    iso: { values: "5,10,15", unit: "minutes", direction: "from", fc: null },
    suggest: { km: "5", count: "1", objective: "coverage", result: null },
    dd: null, ddOpen: true,
  };
  I18N.set(I18N.initial());

  const map = L.map("map", { zoomSnap: 0.25 });
  map.attributionControl.setPrefix(false);
  map.setView([52.85, 6.6], 9);  // Drenthe until the build's extent is known

  // panes keep the drawing order, bottom to top: basemap, roads, grid, white areas,
  // isochrones, villages, labels, suggested sites, facilities (always above the villages;
  // a site opened in the what-if scenario shows its "+" on its pin's tip)
  const PANES = [["basemap", 250], ["roads", 300], ["grid", 310], ["white", 320],
                 ["isochrones", 350], ["villages", 410], ["labels", 430], ["suggested", 440],
                 ["facilities", 450]];
  PANES.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
  map.getPane("labels").style.pointerEvents = "none";
  const basemapCanvas = L.canvas({ pane: "basemap" });
  const roadCanvas = L.canvas({ pane: "roads" });
  const villageSvg = L.svg({ pane: "villages" });
  const isoSvg = L.svg({ pane: "isochrones" });
  const whiteSvg = L.svg({ pane: "white" });
  const gridSvg = L.svg({ pane: "grid" });

  const basemapLayer = L.layerGroup();
  const edgeLayer = L.layerGroup().addTo(map);
  const whiteLayer = L.layerGroup();
  const gridLayer = L.layerGroup();
  const isoLayer = L.layerGroup().addTo(map);
  const villageLayer = L.layerGroup().addTo(map);
  const labelLayer = L.layerGroup().addTo(map);
  const facilityLayer = L.layerGroup().addTo(map);
  const suggestLayer = L.layerGroup().addTo(map);
  let tileLayer = null;
  const markers = {};  // village_id -> circle marker
  window.bereik = { map: map, state: state, villageLayer: villageLayer, isoLayer: isoLayer,
                    facilityLayer: facilityLayer, labelLayer: labelLayer, markers: markers,
                    suggestLayer: suggestLayer, i18n: I18N };

  // a hatch for "not on the network", referenced by the village symbols and the legend
  document.body.insertAdjacentHTML("beforeend",
    "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>" +
    "<pattern id=\"bereik-hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" " +
    "patternTransform=\"rotate(45)\"><rect width=\"4\" height=\"4\" fill=\"#d9d9d9\"/>" +
    "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#444\" stroke-width=\"1.6\"/>" +
    "</pattern></defs></svg>");

  // --- helpers --------------------------------------------------------------------------------
  function busy(on) { document.documentElement.dataset.mapState = on ? "loading" : "ready"; }
  busy(true);

  function query(params, build) {
    const q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined) q.set(k, params[k]);
    });
    const b = build === undefined ? state.build : build;
    if (b) q.set("build", b);
    const s = q.toString();
    return s ? "?" + s : "";
  }

  async function api(path, params, options) {
    const url = path.indexOf("?") >= 0 || params === null ? path : path + query(params);
    const r = await fetch(url, Object.assign({
      headers: { Accept: "application/geo+json, application/json" },
    }, options || {}));
    const body = await r.json().catch(function () { return {}; });
    if (!r.ok) {
      const err = new Error(body.detail || (r.status + " " + r.statusText));
      err.status = r.status;
      throw err;
    }
    return body;
  }

  async function pages(path, params, each) {
    let url = path + query(params);
    while (url) {
      const fc = await api(url, null);
      each(fc);
      const next = (fc.links || []).find(function (l) { return l.rel === "next"; });
      url = next ? next.href : null;
    }
  }

  function el(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "className") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function has(v) { return v !== null && v !== undefined && !(typeof v === "number" && isNaN(v)); }
  function num(v, d) { return I18N.number(v, d || 0); }
  function km(m) { return has(m) ? num(m / 1000, 1) + " km" : "–"; }
  function min(s) { return has(s) ? num(s / 60, 1) + " min" : "–"; }
  function pct(share) { return has(share) ? num(share * 100, 1) + " %" : "–"; }
  function signed(v, f) { return has(v) ? (v > 0 ? "+" : v < 0 ? "−" : "±") + f(Math.abs(v)) : "–"; }
  function lowerFirst(s) {
    return s.length > 1 && s[1] === s[1].toLowerCase() ? s[0].toLowerCase() + s.slice(1) : s;
  }

  function categoryInfo(id) {
    return (state.meta.categories || []).find(function (x) { return x.id === id; }) || { id: id };
  }
  function categoryLabel(id) {
    const c = categoryInfo(id);
    return (I18N.lang === "nl" && c.label_nl) || c.label || id;
  }
  function categoryName(id) { return lowerFirst(categoryLabel(id)); }  // in a sentence
  function profileLabel(id) {  // English: the build's label (data); Dutch: ours for the bundled
    const own = (state.meta.profile_labels || {})[id];
    const ours = (I18N.PROFILES[I18N.lang] || {})[id];
    return (I18N.lang === "en" ? own || ours : ours || own) || id;
  }
  function profileName(id) { return lowerFirst(profileLabel(id)); }  // in a sentence
  // public transport (builds with a GTFS feed): "transit" (walk + timetable, the window's
  // median) and "no_car" (the fastest of walk, bike and transit); both are times only, drawn
  // over the walk network and asked of the API as profile=transit
  const TIMETABLE = { transit: true, no_car: true };
  function timetable() { return TIMETABLE[state.profile] === true; }
  function apiProfile() { return timetable() ? "transit" : state.profile; }
  function roadProfile() { return timetable() ? "walk" : state.profile; }
  function profileChoices() {
    return state.meta.profiles.concat(state.meta.transit ? ["transit", "no_car"] : []);
  }
  function facilitiesOf(id) { return categoryInfo(id).facilities || 0; }

  let statusEl = null;
  function status(text, isError) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.className = "status" + (isError ? " error" : "");
  }
  function fail(err) { status(err.message, true); busy(false); }

  // --- symbols --------------------------------------------------------------------------------
  function classesOf(measure) { return measure === "time" ? TIME_CLASSES : DISTANCE_CLASSES; }
  function valueOf(p, measure) {
    return measure === "time" || timetable() ? p.travel_time_s : p.distance_m;
  }

  function colour(value, classes) {
    if (!has(value)) return NO_DATA;
    for (const c of classes || DISTANCE_CLASSES) if (value < c[0]) return c[1];
    return NO_DATA;
  }

  /** The change class of a before/after pair (what if, compare) on the chosen measure. */
  function changeClass(status_, change, measure) {
    if (status_ === "lost" || status_ === "gained") return status_;
    if (!has(change)) return "same";
    if (change > BIG_CHANGE[measure]) return "much_worse";
    if (change > TOLERANCE[measure]) return "worse";
    if (change < -BIG_CHANGE[measure]) return "much_better";
    if (change < -TOLERANCE[measure]) return "better";
    return "same";
  }
  function changeColour(key) {
    return (CHANGE_CLASSES.find(function (c) { return c[0] === key; }) || [0, NO_DATA])[1];
  }

  function sizeValue(p) {  // residents where the figures are over persons, else population
    if (p.method && p.method !== "place_point" && has(p.persons)) return p.persons;
    if (p.method && p.method !== "place_point" && has(p.weight)) return p.weight;
    return has(p.population) ? p.population : null;
  }
  function radius(v) { return has(v) && v > 0 ? Math.min(22, 3 + Math.sqrt(v) / 8) : 4; }

  function sizeIsResidents() { return state.meta.default_method === "persons"; }

  // --- basemap ------------------------------------------------------------------------------
  async function loadBasemap() {
    if (state.tileUrl) return;  // BEREIK_TILE_URL tiles are the background instead
    let fc;
    try {
      fc = await api("basemap", {});
    } catch (err) {
      state.basemap = null;  // no basemap for this build or service: skip silently
      return;
    }
    if (!fc || !Array.isArray(fc.features) || !fc.features.length) return;
    state.basemap = fc;
    basemapLayer.clearLayers();
    const order = Object.keys(BASEMAP_STYLE);
    const features = fc.features.filter(function (f) {
      return f.geometry && f.properties && BASEMAP_STYLE[f.properties.kind];
    }).sort(function (a, b) {
      return order.indexOf(a.properties.kind) - order.indexOf(b.properties.kind);
    });
    L.geoJSON({ type: "FeatureCollection", features: features }, {
      renderer: basemapCanvas, pane: "basemap", interactive: false,
      style: function (f) {
        const s = BASEMAP_STYLE[f.properties.kind];
        return Object.assign({ className: "basemap-" + f.properties.kind }, s);
      },
    }).eachLayer(function (layer) {
      layer.bereikKind = layer.feature.properties.kind;
      basemapLayer.addLayer(layer);
    });
    basemapLayer.addTo(map);
    map.getContainer().classList.add("has-basemap");
    zoomBasemap();
  }

  function zoomBasemap() {  // built-up outlines at low zoom, land-use patches close in
    const z = map.getZoom();
    basemapLayer.eachLayer(function (layer) {
      const s = BASEMAP_STYLE[layer.bereikKind] || {};
      const shown = (s.minZoom === undefined || z >= s.minZoom) &&
                    (s.maxZoom === undefined || z <= s.maxZoom);
      layer.setStyle({ fillOpacity: shown ? s.fillOpacity : 0,
                       opacity: shown ? 1 : 0 });
    });
  }

  function basemapKinds() {
    if (!state.basemap || !map.hasLayer(basemapLayer)) return [];
    const seen = {};
    state.basemap.features.forEach(function (f) { if (f.properties) seen[f.properties.kind] = 1; });
    return Object.keys(BASEMAP_STYLE).concat(["place"]).filter(function (k) { return seen[k]; });
  }

  // --- labels (a collision pass, largest villages first) --------------------------------------
  const measureCtx = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) {
    measureCtx.font = font;
    return Math.ceil(measureCtx.measureText(text).width);
  }

  function placeRank() {
    const z = map.getZoom();
    for (const r of PLACE_RANK_BY_ZOOM) if (z < r[0]) return r[1];
    return 5;
  }

  function placeLabels() {
    labelLayer.clearLayers();
    if (!state.showLabels) return;
    const size = map.getSize();
    const placed = [];
    const circles = [];
    const items = [];
    Object.keys(markers).forEach(function (id) {
      const m = markers[id];
      const p = map.latLngToContainerPoint(m.getLatLng());
      const r = m.getRadius();
      circles.push({ id: id, x0: p.x - r, y0: p.y - r, x1: p.x + r, y1: p.y + r });
      items.push({ id: id, text: m.bereikName, point: p, r: r, weight: m.bereikWeight,
                   cls: "village-label", font: LABEL_FONT });
    });
    items.sort(function (a, b) { return b.weight - a.weight || (a.text < b.text ? -1 : 1); });
    if (state.basemap && map.hasLayer(basemapLayer)) {
      const names = {};
      items.forEach(function (i) { names[String(i.text).toLowerCase()] = 1; });
      const maxRank = placeRank();
      state.basemap.features.filter(function (f) {
        const p = f.properties || {};
        return p.kind === "place" && p.name && f.geometry && f.geometry.type === "Point" &&
          (p.rank || 5) <= maxRank && !names[String(p.name).toLowerCase()];
      }).sort(function (a, b) { return (a.properties.rank || 5) - (b.properties.rank || 5); })
        .forEach(function (f) {
          const c = f.geometry.coordinates;
          items.push({ id: null, text: f.properties.name, r: 0, weight: -1,
                       point: map.latLngToContainerPoint([c[1], c[0]]),
                       cls: "place-label", font: PLACE_FONT });
        });
    }
    function free(b, selfId) {
      if (b.x0 < 0 || b.y0 < 0 || b.x1 > size.x || b.y1 > size.y) return false;
      for (const o of placed) {
        if (b.x0 < o.x1 && b.x1 > o.x0 && b.y0 < o.y1 && b.y1 > o.y0) return false;
      }
      for (const c of circles) {
        if (c.id === selfId) continue;
        if (b.x0 < c.x1 && b.x1 > c.x0 && b.y0 < c.y1 && b.y1 > c.y0) return false;
      }
      return true;
    }
    items.forEach(function (item) {
      if (!item.text) return;
      const w = textWidth(item.text, item.font) + 6;
      const h = 16;
      const x = item.point.x;
      const y = item.point.y;
      const gap = item.r + 2;
      const spots = [  // right, left, above, below
        [x + gap, y - h / 2], [x - gap - w, y - h / 2],
        [x - w / 2, y - gap - h], [x - w / 2, y + gap],
      ];
      for (const s of spots) {
        const box = { x0: s[0], y0: s[1], x1: s[0] + w, y1: s[1] + h };
        if (!free(box, item.id)) continue;
        placed.push(box);
        const ll = map.containerPointToLatLng([s[0], s[1]]);
        L.marker(ll, {
          pane: "labels", interactive: false, keyboard: false,
          icon: L.divIcon({ className: item.cls, html: esc(item.text), iconSize: [w, h],
                            iconAnchor: [0, 0] }),
        }).addTo(labelLayer);
        break;
      }
    });
  }

  // --- layers ---------------------------------------------------------------------------------
  async function loadEdges() {
    edgeLayer.clearLayers();
    const limit = (state.limits && state.limits.max_items) || 1000;
    await pages("collections/edges_" + roadProfile() + "/items", { limit: limit }, function (fc) {
      L.geoJSON(fc, {
        renderer: roadCanvas, pane: "roads", interactive: false,
        style: { color: "#8d8d8d", weight: 1, opacity: 0.7 },
      }).addTo(edgeLayer);
    });
  }

  async function loadWhiteAreas() {
    whiteLayer.clearLayers();
    const limit = (state.limits && state.limits.max_items) || 1000;
    await pages("collections/white_areas/items", { limit: limit }, function (fc) {
      L.geoJSON(fc, {
        renderer: whiteSvg, pane: "white", interactive: false,
        style: { color: "#6a3d9a", weight: 0.5, fillColor: "#6a3d9a", fillOpacity: 0.18,
                 className: "white-area" },
      }).addTo(whiteLayer);
    });
  }

  async function loadGrid() {
    gridLayer.clearLayers();
    const limit = (state.limits && state.limits.max_items) || 1000;
    await pages("collections/persons_grid/items", { category: state.category, limit: limit },
      function (fc) {
        L.geoJSON(fc, {
          renderer: gridSvg, pane: "grid",
          style: function (f) {
            return { color: "#555", weight: 0.3, fillColor: colour(f.properties.distance_m),
                     fillOpacity: 0.55, className: "persons-cell" };
          },
          onEachFeature: function (f, layer) {
            const p = f.properties;
            layer.bindTooltip(esc(t(p.method === "addresses" ? "grid_tooltip_dwellings" :
              "grid_tooltip", { n: num(p.weight, 0), km: km(p.distance_m),
                                category: categoryName(state.category) })));
          },
        }).addTo(gridLayer);
      });
  }

  async function loadFacilities() {
    state.facilities = await api("facilities", { category: state.category });
    drawFacilities();
  }

  function drawFacilities() {
    facilityLayer.clearLayers();
    if (!state.facilities) return;
    const closed = state.scenario.close;
    const whatif = state.mode === "whatif";
    state.facilities.features.forEach(function (f) {
      const p = f.properties;
      const c = f.geometry.coordinates;
      const isClosed = whatif && closed.indexOf(p.facility_id) >= 0;
      const m = L.marker([c[1], c[0]], {
        pane: "facilities", keyboard: false, riseOnHover: true,
        icon: L.divIcon({ className: "facility-marker" + (isClosed ? " closed" : ""),
                          iconSize: [13, 13], html: "<i></i>" }),
      });
      const hint = whatif ? " – " + t(isClosed ? "whatif_click_reopen" : "whatif_click_close") : "";
      m.bindTooltip(esc(p.name || categoryLabel(p.category)) + " (" +
                    esc(categoryLabel(p.category)) + ")" + esc(hint), { direction: "top" });
      m.on("click", function (e) {
        L.DomEvent.stopPropagation(e);
        if (state.mode === "whatif") toggleClosed(p);
      });
      m.bereikId = p.facility_id;
      facilityLayer.addLayer(m);
    });
    if (whatif) {
      state.scenario.open.forEach(function (o, i) {
        const m = L.marker([o.lat, o.lon], {
          pane: "facilities", keyboard: false,
          icon: L.divIcon({ className: "facility-new", iconSize: [16, 16], html: "+" }),
        });
        m.bindTooltip(esc(o.name) + " – " + esc(t("whatif_click_remove")), { direction: "top" });
        m.on("click", function (e) {
          L.DomEvent.stopPropagation(e);
          state.scenario.open.splice(i, 1);
          runScenario();
        });
        facilityLayer.addLayer(m);
      });
    }
    drawSuggestions();
  }

  async function loadVillages() {
    state.villages = await api("villages", { category: state.category, profile: apiProfile() });
    if (state.profile === "no_car") {  // colour by the fastest of walk, bike and transit
      state.villages.features.forEach(function (f) {
        const p = f.properties;
        p.transit_median_s = p.travel_time_s;
        p.travel_time_s = p.no_car_time_s;
        if (has(p.no_car_time_s)) p.reason = null;  // walking or cycling gets there
      });
    }
    return state.villages.features.length;
  }

  /** The per-village change of the current view (what if, compare), by village id. */
  function changesById() {
    const out = {};
    if (state.mode === "whatif" && state.scenario.result) {
      state.scenario.result.changes.forEach(function (c) {
        if (c.category === state.category) out[c.village_id] = c;
      });
    } else if (state.mode === "compare" && state.compare) {
      state.compare.features.forEach(function (f) { out[f.properties.village_id] = f.properties; });
    }
    return out;
  }

  function symbolOf(p, change) {
    const dd = p.double_disadvantage === true;
    const base = { radius: radius(sizeValue(p)), color: dd ? "#000" : "#333", weight: dd ? 3.5 : 1,
                   fillOpacity: 0.92, dashArray: null };
    let cls = "village-marker" + (dd ? " double-disadvantage" : "");
    if (change) {
      const key = changeClass(change.status, state.measure === "time" ?
        change.travel_time_s_change : change.distance_m_change, state.measure);
      const unchangedNone = !has(change.distance_m_before) && !has(change.distance_m_after);
      if (key === "same" && unchangedNone && (change.reason_before || p.reason)) {
        const reason = change.reason_after || change.reason_before || p.reason;
        return Object.assign(base, REASON_STYLE[reason] || REASON_STYLE.unreachable,
          { className: cls + " reason-" + reason + " change-same" }, dd ? { color: "#000", weight: 3.5 } : {});
      }
      return Object.assign(base, { fillColor: changeColour(key), className: cls + " change-" + key });
    }
    if (!has(valueOf(p, state.measure)) && p.reason) {
      const r = REASONS.indexOf(p.reason) >= 0 ? p.reason : "unreachable";
      return Object.assign(base, REASON_STYLE[r], { className: cls + " reason-" + r },
                           dd ? { color: "#000", weight: 3.5 } : {});
    }
    return Object.assign(base, { fillColor: colour(valueOf(p, state.measure), classesOf(state.measure)),
                                 className: cls });
  }

  function drawVillages() {
    villageLayer.clearLayers();
    Object.keys(markers).forEach(function (k) { delete markers[k]; });
    const changes = changesById();
    let features = state.villages ? state.villages.features : [];
    if (state.mode === "compare" && state.compare) {  // the villages of the comparison
      const own = {};
      features.forEach(function (f) { own[f.properties.village_id] = f.properties; });
      features = state.compare.features.filter(function (f) { return f.geometry; })
        .map(function (f) {
          const mine = own[f.properties.village_id] || {};
          return { type: "Feature", geometry: f.geometry,
                   properties: Object.assign({}, mine, f.properties,
                     { population: has(f.properties.population) ? f.properties.population : mine.population }) };
        });
    }
    const sorted = features.slice().sort(function (a, b) {  // small circles on top
      return (sizeValue(b.properties) || 0) - (sizeValue(a.properties) || 0);
    });
    sorted.forEach(function (f) {
      const p = f.properties;
      const c = f.geometry.coordinates;
      const change = changes[p.village_id] || ((state.mode === "whatif" && state.scenario.result) ||
        (state.mode === "compare" && state.compare) ? { status: "same" } : null);
      const m = L.circleMarker([c[1], c[0]], Object.assign({ renderer: villageSvg, pane: "villages" },
                                                             symbolOf(p, change)));
      m.bereikName = p.village_name;
      m.bereikWeight = sizeValue(p) || 0;
      m.bindPopup(function () { return popupHtml(p, changes[p.village_id]); }, { maxWidth: 320 });
      m.on("click", function (e) { L.DomEvent.stopPropagation(e); });
      m.on("popupopen", function (e) {
        const b = e.popup.getElement().querySelector(".iso-here");
        if (b) b.addEventListener("click", function () { map.closePopup(); isochrone(m.getLatLng()); });
      });
      villageLayer.addLayer(m);
      markers[p.village_id] = m;
    });
    placeLabels();
  }

  function popupHtml(p, change) {
    const lines = ["<b>" + esc(p.village_name) + "</b> (" + esc(p.municipality || "–") + ")"];
    lines.push(esc(t("pop_population")) + ": " + (has(p.population) ? num(p.population) :
      esc(t("pop_unknown"))));
    if (change && (has(change.distance_m_before) || has(change.distance_m_after) || change.status)) {
      lines.push(esc(categoryLabel(state.category)) + " · " + esc(profileLabel(state.profile)));
      const time = state.measure === "time";
      const f = time ? min : km;
      lines.push(esc(t("pop_before_after", {
        before: f(time ? change.travel_time_s_before : change.distance_m_before),
        after: f(time ? change.travel_time_s_after : change.distance_m_after),
        change: signed(time ? change.travel_time_s_change : change.distance_m_change, f),
      })));
      const key = changeClass(change.status, time ? change.travel_time_s_change :
        change.distance_m_change, state.measure);
      lines.push(esc(t("pop_status", { status: t("change_" + key, { big: bigLabel() }) })));
    } else {
      lines.push(esc(t("pop_value", { category: categoryLabel(state.category),
        profile: profileLabel(state.profile), km: km(p.distance_m), min: min(p.travel_time_s) })));
      if (p.method && p.method !== "place_point") {
        const n = has(p.persons) ? p.persons : p.weight;
        lines.push(esc(t(p.method === "addresses" ? "pop_mean_dwellings" : "pop_mean_residents",
          { n: has(n) ? num(n) : "–", p90: km(p.p90_distance_m) })));
      }
      if (timetable()) {
        const median = state.profile === "no_car" ? p.transit_median_s : p.travel_time_s;
        lines.push(esc(t("pop_transit", { median: min(median), p90: min(p.travel_time_p90_s),
          transfers: has(p.transfers) ? num(p.transfers) : "–" })));
        lines.push(esc(t("pop_no_car", { min: min(p.no_car_time_s),
          mode: p.no_car_mode ? profileName(p.no_car_mode) : "–",
          vf: has(p.vf_ratio) ? p.vf_ratio.toFixed(1) : "–" })));
      }
      if (p.reason) lines.push(esc(t("pop_reason", { reason: t("reason_" + p.reason) })));
    }
    if (p.broadband_class !== undefined) {
      lines.push(esc(t("pop_broadband", { cls: t("bb_" + (p.broadband_class || "unknown")) })) +
        (has(p.max_mbps) ? " (" + num(p.max_mbps) + " Mbit/s)" : "") +
        (state.meta.synthetic_coverage ? " – " + esc(t("synthetic")) : ""));
      if (p.double_disadvantage) lines.push("<b>" + esc(t("pop_dd")) + "</b>");
    }
    lines.push("<button type=\"button\" class=\"iso-here\">" + esc(t("iso_from_here")) + "</button>");
    return lines.join("<br>");
  }

  // --- isochrones -----------------------------------------------------------------------------
  function isoValues() {
    const parts = String(state.iso.values).split(/[,;\s]+/).filter(Boolean);
    const values = parts.map(Number);
    if (!values.length || values.some(function (v) { return !isFinite(v) || v <= 0; })) return null;
    return values.sort(function (a, b) { return a - b; });
  }
  function isoUnit() { return t(state.iso.unit === "meters" ? "iso_meters" : "iso_minutes"); }
  function isoColour(i, n) {
    const f = n > 1 ? i / (n - 1) : 0;
    const c = ISO_RAMP[0].map(function (a, k) { return Math.round(a + f * (ISO_RAMP[1][k] - a)); });
    return "rgb(" + c.join(",") + ")";
  }

  async function isochrone(latlng) {
    const values = isoValues();
    if (!values) { status(t("iso_bad"), true); return; }
    status(t("iso_computing"));
    busy(true);
    try {
      const params = { lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6),
                       profile: apiProfile(), direction: state.iso.direction };
      if (timetable()) params.departure = state.meta.transit.departure;
      params[state.iso.unit] = values.join(",");
      const fc = await api("isochrones", params);
      state.iso.fc = fc;
      state.iso.drawn = values;
      isoLayer.clearLayers();
      const features = fc.features.slice().sort(function (a, b) {
        return b.properties.contour - a.properties.contour;  // largest below
      });
      L.geoJSON({ type: "FeatureCollection", features: features }, {
        renderer: isoSvg, pane: "isochrones",
        style: function (f) {
          const i = values.indexOf(f.properties.contour);
          return { color: "#08306b", weight: 1, fillColor: isoColour(i < 0 ? 0 : i, values.length),
                   fillOpacity: 0.3, className: "isochrone" };
        },
        onEachFeature: function (f, layer) {
          const p = f.properties;
          layer.bindTooltip(esc(t("iso_tooltip", {
            contour: num(p.contour), unit: isoUnit(), profile: profileLabel(p.profile),
            area: num(p.area_m2 / 1e6, 1),
            population: has(p.population) ? num(p.population) : t("pop_unknown"),
            villages: p.villages })));
        },
      }).addTo(isoLayer);
      status(t("iso_done", { n: fc.features.length, values: values.join(", "), unit: isoUnit(),
                             profile: profileLabel(state.profile) }));
      renderLegend();
      busy(false);
    } catch (err) {
      fail(err);
    }
  }

  // --- what if --------------------------------------------------------------------------------
  function toggleClosed(p) {
    const i = state.scenario.close.indexOf(p.facility_id);
    if (i >= 0) state.scenario.close.splice(i, 1);
    else state.scenario.close.push(p.facility_id);
    state.scenario.names = state.scenario.names || {};
    state.scenario.names[p.facility_id] = p.name || p.facility_id;
    runScenario();
  }

  /** Open a facility of the shown category at ``latlng`` (named ``name``, else numbered). */
  async function openAt(latlng, name) {
    const sc = state.scenario;
    sc.open.push({
      category: state.category, lon: Number(latlng.lng.toFixed(6)), lat: Number(latlng.lat.toFixed(6)),
      name: name || t("whatif_new_name", { category: categoryName(state.category) }) + " " +
            (sc.serial = (sc.serial || 0) + 1),
    });
    if (!(await runScenario())) {  // refused (a point off the road network): take it back
      const message = statusEl ? statusEl.textContent : "";
      sc.open.pop();
      await runScenario();
      status(message, true);
    }
  }

  /** Redraw everything a scenario (or its absence) colours, and end the busy state. */
  function showScenario() {
    drawFacilities();
    drawVillages();
    renderMode();
    renderLegend();
    status("");
    busy(false);
    return true;
  }

  /** POST the scenario and colour the villages by their change; false when refused. */
  async function runScenario() {
    const sc = state.scenario;
    if (!sc.close.length && !sc.open.length) {
      sc.result = null;
      return showScenario();
    }
    status(t("whatif_computing"));
    busy(true);
    try {
      sc.result = await api("scenarios", {}, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ close: sc.close, open: sc.open, profile: apiProfile() }),
      });
    } catch (err) {
      fail(err);
      return false;
    }
    return showScenario();
  }

  function resetScenario() {
    state.scenario = { close: [], open: [], result: null };
    runScenario();
  }

  function summaryHtml(s, persons) {
    if (!s) return "";
    const rows = [];
    [["worse", "lost"], ["better", "gained"]].forEach(function (pair) {
      pair.forEach(function (k) {
        if (s["villages_" + k] > 0) {
          rows.push("<li class=\"s-" + k + "\"><i style=\"background:" +
            changeColour(k === "worse" ? "worse" : k === "better" ? "better" : k) + "\"></i>" +
            esc(t("summary_" + k, { villages: s["villages_" + k],
                                    population: num(s["population_" + k] || 0) })) + "</li>");
        }
      });
    });
    rows.push("<li class=\"s-same\"><i style=\"background:" + changeColour("same") + "\"></i>" +
              esc(t("summary_same", { villages: s.villages_same })) + "</li>");
    if (has(s.max_increase_m) && s.max_increase_m > 0) {
      rows.push("<li>" + esc(t("summary_max", { km: km(s.max_increase_m) })) + "</li>");
    }
    let html = "<ul>" + rows.join("") + "</ul>";
    if (persons) {
      const radii = Object.keys(persons).filter(function (k) { return /^newly_beyond_/.test(k); })
        .map(function (k) { return Number(k.replace("newly_beyond_", "").replace("km", "")); })
        .sort(function (a, b) { return a - b; });
      const r = radii.length ? radii[radii.length - 1] : null;
      if (r !== null) {
        html += "<p class=\"persons\">" + esc(t(persons.method === "addresses" ?
          "summary_persons_dwellings" : "summary_persons", {
          worse: num(persons.weight_worse || 0), lost: num(persons.weight_lost || 0),
          better: num(persons.weight_better || 0),
          beyond: num(persons["newly_beyond_" + r + "km"] || 0), r: r })) + "</p>";
      }
    }
    html += "<p class=\"verdict " + (s.stayed_the_same_or_better ? "ok" : "bad") + "\">" +
      esc(t(s.stayed_the_same_or_better ? "verdict_ok" : "verdict_bad")) + "</p>";
    return html;
  }

  // --- suggested sites ------------------------------------------------------------------------
  const OBJECTIVES = ["coverage", "median", "cover"];

  function kmText(v) { return num(v, Number.isInteger(Number(v)) ? 0 : 1); }
  function unitName(unit) {  // what the person figures count (summary.demand_unit)
    return t(unit === "dwellings" ? "suggest_unit_dwellings" : "suggest_unit_persons");
  }

  /** The inputs of the panel as a POST suggest body, or null (and an error) when invalid. */
  function suggestBody() {
    const sg = state.suggest;
    const within = Number(String(sg.km).replace(",", "."));
    const count = Number(sg.count);
    const cover = sg.objective === "cover";
    if (!isFinite(within) || within <= 0 || OBJECTIVES.indexOf(sg.objective) < 0 ||
        (!cover && !(Number.isInteger(count) && count >= 1 && count <= 10))) {
      status(t("suggest_bad"), true);
      return null;
    }
    const body = { category: state.category, within_km: within, objective: sg.objective,
                   candidates: "villages", profile: apiProfile() };
    if (!cover) body.count = count;  // cover: as many as it takes
    return body;
  }

  /** POST suggest for the shown category and draw the sites; an error is one status line. */
  async function suggestSites() {
    const body = suggestBody();
    if (!body) return;
    status(t("suggest_computing"));
    busy(true);
    try {
      state.suggest.result = await api("suggest", {}, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      clearSuggestions();
      fail(err);
      return;
    }
    drawSuggestions();
    renderMode();
    renderLegend();
    status("");
    busy(false);
  }

  /** Forget the suggested sites (another category, build or profile, or the clear button). */
  function clearSuggestions() {
    state.suggest.result = null;
    suggestLayer.clearLayers();
    renderMode();
    renderLegend();
  }

  function suggestedOpened(site) {  // already opened in the what-if scenario
    return state.scenario.open.some(function (o) {
      return o.category === state.category && o.lon === site.lon && o.lat === site.lat;
    });
  }

  /** The suggested sites as numbered pins (what-if mode only, as the opened facilities). */
  function drawSuggestions() {
    suggestLayer.clearLayers();
    const res = state.suggest.result;
    if (state.mode !== "whatif" || !res) return;
    const s = res.summary;
    res.sites.forEach(function (site) {
      const opened = suggestedOpened(site);
      const m = L.marker([site.lat, site.lon], {
        pane: "suggested", keyboard: false, riseOnHover: true,
        icon: L.divIcon({ className: "suggest-marker" + (opened ? " opened" : ""),
                          iconSize: [24, 24], iconAnchor: [12, 29], popupAnchor: [0, -27],
                          html: "<b></b><span>" + esc(site.rank) + "</span>" }),
      });
      m.bindTooltip(esc(site.rank + ". " + site.name) + " – " +
        esc(t("suggest_pop_title", { category: categoryName(s.category) })),
        { direction: "top", offset: [0, -26] });
      m.bindPopup(function () { return suggestPopupHtml(site, s); }, { maxWidth: 300 });
      m.on("click", function (e) { L.DomEvent.stopPropagation(e); });
      m.on("popupopen", function (e) {
        const b = e.popup.getElement().querySelector(".suggest-open");
        if (!b) return;
        b.addEventListener("click", function () {
          map.closePopup();
          openAt(L.latLng(site.lat, site.lon),
                 t("suggest_open_name", { name: site.name, rank: site.rank }));
        });
      });
      m.bereikRank = site.rank;
      suggestLayer.addLayer(m);
    });
  }

  function suggestPopupHtml(site, s) {
    const lines = ["<b>" + esc(site.rank + ". " + site.name) + "</b> (" +
      esc(t("suggest_pop_title", { category: categoryName(s.category) })) + ")"];
    lines.push(esc(t("suggest_pop_newly", { n: num(site.newly_within || 0),
      unit: unitName(s.demand_unit), km: kmText(s.within_km) })));
    lines.push(esc(t("suggest_pop_share", { share: pct(site.share_within_after),
                                            km: kmText(s.within_km) })));
    if (suggestedOpened(site)) {
      lines.push("<i>" + esc(t("suggest_pop_opened")) + "</i>");
    } else {
      lines.push("<button type=\"button\" class=\"suggest-open\">" + esc(t("suggest_open")) +
                 "</button>");
    }
    return lines.join("<br>");
  }

  /** The panel line of a POST suggest answer: shares before and after, and how it was found. */
  function suggestSummaryHtml(res) {
    const s = res.summary;
    let method = t("suggest_method_" + s.method);
    if (s.method !== "exact" && has(s.gap) && s.gap > 0) {
      method += "; " + t("suggest_gap", { gap: pct(s.gap) });
    }
    const html = ["<p class=\"suggest-line\">" + esc(t("suggest_summary", {
      km: kmText(s.within_km), before: pct(s.share_within_before),
      after: pct(s.share_within_after), persons: num(s.persons), unit: unitName(s.demand_unit),
      method: method })) + "</p>"];
    const cat = categoryName(s.category);
    html.push("<p class=\"hint\">" + esc(res.sites.length ? t("suggest_detail", {
      n: res.sites.length, category: cat, before: km(s.mean_before), after: km(s.mean_after) }) :
      t("suggest_none", { category: cat })) + "</p>");
    return html.join("");
  }

  /** The suggest controls of the what-if panel: distance, sites, objective, button, summary. */
  function renderSuggest(container) {
    const sg = state.suggest;
    const box = el("div", { className: "suggest", id: "suggest-panel" }, container);
    el("h2", {}, box, t("suggest_title"));
    el("p", { className: "hint" }, box, t("suggest_hint", { category: categoryName(state.category) }));
    const row = el("div", { className: "row" }, box);
    const w1 = el("div", {}, row);
    el("label", { for: "suggest-km" }, w1, t("suggest_km"));
    const kmInput = el("input", { id: "suggest-km", type: "number", min: "0.1", step: "0.5",
                                  inputmode: "decimal", value: sg.km }, w1);
    kmInput.addEventListener("input", function () { sg.km = kmInput.value; });
    const w2 = el("div", {}, row);
    el("label", { for: "suggest-count" }, w2, t("suggest_count"));
    const countInput = el("input", { id: "suggest-count", type: "number", min: "1", max: "10",
                                     step: "1", inputmode: "numeric", value: sg.count }, w2);
    countInput.addEventListener("input", function () { sg.count = countInput.value; });
    countInput.disabled = sg.objective === "cover";
    if (countInput.disabled) countInput.title = t("suggest_count_cover");
    select(box, t("suggest_objective"), "suggest-objective", OBJECTIVES.map(function (o) {
      return [o, t("suggest_obj_" + o)];
    }), sg.objective, function (v) { sg.objective = v; renderMode(); });
    const buttons = el("div", { className: "buttons" }, box);
    const run = el("button", { type: "button", id: "suggest-run" }, buttons, t("suggest_run"));
    run.addEventListener("click", suggestSites);
    const summary = el("div", { className: "summary", id: "suggest-summary" }, box);
    if (sg.result) {
      const clear = el("button", { type: "button", id: "suggest-clear" }, buttons, t("suggest_clear"));
      clear.addEventListener("click", clearSuggestions);
      summary.innerHTML = suggestSummaryHtml(sg.result);
    }
  }

  // --- compare --------------------------------------------------------------------------------
  async function loadCompare() {
    state.compare = null;
    if (!state.compareOld || !state.compareNew || state.compareOld === state.compareNew) {
      drawVillages();
      renderMode();
      renderLegend();
      return;
    }
    status(t("compare_computing"));
    busy(true);
    try {
      state.compare = await api("compare", {
        old: state.compareOld, new: state.compareNew, category: state.category,
        profile: apiProfile() }, null);
      drawVillages();
      renderMode();
      renderLegend();
      status("");
      busy(false);
    } catch (err) {
      drawVillages();
      fail(err);
    }
  }

  // --- double disadvantage -----------------------------------------------------------------
  async function loadDoubleDisadvantage() {
    if (!state.meta.broadband) return;
    try {
      state.dd = await api("double-disadvantage", {});
    } catch (err) {
      state.dd = null;
    }
    renderDoubleDisadvantage();
  }

  function zoomToVillage(id, lon, lat) {
    map.setView([lat, lon], Math.max(map.getZoom(), 13));
    const m = markers[id];
    if (m) m.openPopup();
  }

  function loadedText() {
    const n = state.facilities.features.length;
    return t(n ? "loaded" : "loaded_none", { villages: state.villages.features.length,
      facilities: n, category: n ? categoryLabel(state.category) : categoryName(state.category) });
  }

  // --- refresh --------------------------------------------------------------------------------
  async function refresh(withEdges) {
    status(t("loading"));
    busy(true);
    try {
      const tasks = [loadVillages(), loadFacilities()];
      if (withEdges) tasks.push(loadEdges());
      if (map.hasLayer(gridLayer)) tasks.push(loadGrid());
      await Promise.all(tasks);
      if (state.mode === "whatif" && (state.scenario.close.length || state.scenario.open.length)) {
        await runScenario();
      } else if (state.mode === "compare") {
        await loadCompare();
      } else {
        drawVillages();
      }
      renderPanel();
      renderLegend();
      status(loadedText());
      busy(false);
    } catch (err) {
      fail(err);
    }
  }

  // --- controls -------------------------------------------------------------------------------
  function select(container, label, id, options, value, onChange) {
    const l = el("label", { for: id }, container, label);
    l.htmlFor = id;
    const s = el("select", { id: id }, container);
    options.forEach(function (o) {
      const opt = el("option", { value: o[0] }, s, o[1]);
      if (o[2]) opt.className = o[2];
    });
    s.value = value;
    s.addEventListener("change", function () { onChange(s.value); });
    return s;
  }

  let panelDiv = null;
  let modeDiv = null;
  // a Leaflet control holding one panel div (clicks and scrolls stay in the panel)
  function addPanelControl(position, className, id) {
    const div = L.DomUtil.create("div", className);
    div.id = id;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    const c = L.control({ position: position });
    c.onAdd = function () { return div; };
    c.addTo(map);
    return div;
  }

  function addPanel() {
    panelDiv = addPanelControl("topright", "panel main-panel", "panel");
  }

  function renderPanel() {
    if (!panelDiv) return;
    panelDiv.innerHTML = "";
    const head = el("div", { className: "head" }, panelDiv);
    el("h1", {}, head, "bereik");
    const langs = el("div", { className: "lang", role: "group", "aria-label": t("language") }, head);
    I18N.LANGS.forEach(function (l) {
      const b = el("button", { type: "button", id: "lang-" + l,
                               className: l === I18N.lang ? "active" : "" }, langs, l.toUpperCase());
      b.setAttribute("aria-pressed", l === I18N.lang ? "true" : "false");
      b.addEventListener("click", function () { setLanguage(l); });
    });
    el("p", { className: "subtitle" }, panelDiv, t("subtitle"));
    if (state.builds.length > 1) {
      select(panelDiv, t("build"), "build", state.builds.map(function (b) { return [b.name, b.name]; }),
        state.build, function (v) {
          const q = new URLSearchParams(window.location.search);
          q.set("build", v);
          clearSuggestions();
          window.location.search = "?" + q.toString();
        });
    }
    const tabs = el("div", { className: "tabs", role: "tablist" }, panelDiv);
    ["explore", "whatif", "compare"].forEach(function (m) {
      const b = el("button", { type: "button", id: "mode-" + m, role: "tab",
                               className: m === state.mode ? "active" : "" }, tabs, t("mode_" + m));
      b.setAttribute("aria-selected", m === state.mode ? "true" : "false");
      b.addEventListener("click", function () { setMode(m); });
    });
    select(panelDiv, t("category"), "category", state.meta.categories.map(function (c) {
      const n = c.facilities;
      return [c.id, categoryLabel(c.id) + (n > 0 ? " (" + num(n) + ")" : " – " + t("none_suffix")),
              n > 0 ? "" : "none"];
    }), state.category, function (v) {
      state.category = v;
      clearSuggestions();
      refresh(false);
    });
    select(panelDiv, t("profile"), "profile",
      profileChoices().map(function (p) { return [p, profileLabel(p)]; }), state.profile,
      function (v) {
        state.profile = v; isoLayer.clearLayers(); state.iso.fc = null; clearSuggestions();
        if (timetable()) { state.measure = "time"; state.iso.unit = "minutes"; }
        refresh(true);
      });
    select(panelDiv, t("measure"), "measure",
      [["distance", t("measure_distance")], ["time", t("measure_time")]], state.measure,
      function (v) { state.measure = v; drawVillages(); renderLegend(); });
    if (!facilitiesOf(state.category)) {
      el("div", { className: "notice", id: "notice", role: "status" }, panelDiv,
         t("none_notice", { category: categoryName(state.category) }));
    }
    modeDiv = el("div", { className: "mode", id: "mode-panel" }, panelDiv);
    renderMode();
    statusEl = el("div", { className: "status", id: "status", role: "status" }, panelDiv);
  }

  function renderMode() {
    if (!modeDiv) return;
    modeDiv.innerHTML = "";
    if (state.mode === "explore") {
      el("h2", {}, modeDiv, t("iso_title"));
      const row = el("div", { className: "row" }, modeDiv);
      const wrap = el("div", {}, row);
      el("label", { for: "iso-values" }, wrap, t("iso_values"));
      const input = el("input", { id: "iso-values", type: "text", inputmode: "decimal",
                                  value: state.iso.values }, wrap);
      input.addEventListener("input", function () { state.iso.values = input.value; });
      const wrap2 = el("div", {}, row);
      select(wrap2, t("iso_unit"), "iso-unit", [["minutes", t("iso_minutes")], ["meters", t("iso_meters")]],
        state.iso.unit, function (v) {
          state.iso.unit = v;
          if (v === "meters" && state.iso.values === "5,10,15") state.iso.values = "1000,3000,5000";
          if (v === "minutes" && state.iso.values === "1000,3000,5000") state.iso.values = "5,10,15";
          renderMode();
        });
      select(modeDiv, t("iso_direction"), "iso-direction", [["from", t("iso_from")], ["to", t("iso_to")]],
        state.iso.direction, function (v) { state.iso.direction = v; });
      el("p", { className: "hint" }, modeDiv, t("iso_hint"));
      if (state.iso.fc) {
        const b = el("button", { type: "button", id: "iso-clear" }, modeDiv, t("iso_clear"));
        b.addEventListener("click", function () {
          isoLayer.clearLayers(); state.iso.fc = null; renderMode(); renderLegend();
        });
      }
    } else if (state.mode === "whatif") {
      el("p", { className: "hint" }, modeDiv, t("whatif_hint", { category: categoryName(state.category) }));
      const list = el("ul", { className: "changes", id: "whatif-changes" }, modeDiv);
      const sc = state.scenario;
      if (!sc.close.length && !sc.open.length) el("li", {}, list, t("whatif_nothing"));
      sc.close.forEach(function (id) {
        el("li", {}, list, t("whatif_closed", { name: (sc.names || {})[id] || id }));
      });
      sc.open.forEach(function (o) { el("li", {}, list, t("whatif_opened", { name: o.name })); });
      const summary = el("div", { className: "summary", id: "whatif-summary" }, modeDiv);
      if (sc.result) {
        const s = sc.result.summary.find(function (x) { return x.category === state.category; });
        const persons = (sc.result.persons || []).find(function (x) { return x.category === state.category; });
        if (s) summary.innerHTML = summaryHtml(s, persons);
        else summary.textContent = t("whatif_untouched", { category: categoryName(state.category) });
      }
      const reset = el("button", { type: "button", id: "whatif-reset" }, modeDiv, t("whatif_reset"));
      reset.addEventListener("click", resetScenario);
      renderSuggest(modeDiv);
    } else if (state.mode === "compare") {
      if (state.builds.length < 2) {
        el("p", { className: "hint" }, modeDiv, t("compare_needs_two"));
        return;
      }
      const names = state.builds.map(function (b) { return [b.name, b.name]; });
      select(modeDiv, t("compare_old"), "compare-old", names, state.compareOld,
        function (v) { state.compareOld = v; loadCompare(); });
      select(modeDiv, t("compare_new"), "compare-new", names, state.compareNew,
        function (v) { state.compareNew = v; loadCompare(); });
      const summary = el("div", { className: "summary", id: "compare-summary" }, modeDiv);
      if (state.compareOld === state.compareNew) {
        summary.textContent = t("compare_same");
      } else if (state.compare) {
        summary.innerHTML = "<p class=\"hint\">" + esc(t("compare_hint", { old: state.compare.old,
          new: state.compare.new })) + "</p>" + summaryHtml(state.compare.summary, null);
      }
    }
  }

  function setMode(m) {
    if (m === state.mode) return;
    state.mode = m;
    map.getContainer().dataset.mode = m;
    if (m === "compare" && !state.compareOld && state.builds.length > 1) {
      // old = the first build listed, new = the one shown (or the next after it)
      const names = state.builds.map(function (b) { return b.name; });
      const i = names.indexOf(state.build);
      state.compareOld = i === 0 ? names[0] : names[0];
      state.compareNew = i === 0 ? names[1] : state.build;
    }
    renderPanel();
    drawFacilities();
    if (m === "compare") { loadCompare(); return; }
    if (m === "whatif" && (state.scenario.close.length || state.scenario.open.length)) {
      runScenario();
      return;
    }
    drawVillages();
    renderLegend();
    busy(false);
  }

  function setLanguage(l) {
    I18N.set(l);
    renderPanel();
    renderLegend();
    renderLayersControl();
    renderDoubleDisadvantage();
    renderAttribution();
    drawFacilities();
    drawVillages();
    if (state.villages && state.facilities) status(loadedText());
  }

  // --- legend ---------------------------------------------------------------------------------
  function swatch(style, shape) {  // a small inline SVG of a map symbol
    const s = style || {};
    if (shape === "line") {
      return "<svg class=\"sym\" width=\"18\" height=\"12\"><line x1=\"1\" y1=\"6\" x2=\"17\" y2=\"6\" " +
        "stroke=\"" + s.color + "\" stroke-width=\"" + (s.weight || 1.5) + "\"/></svg>";
    }
    if (shape === "square") {
      return "<svg class=\"sym\" width=\"18\" height=\"12\"><rect x=\"2\" y=\"1\" width=\"14\" " +
        "height=\"10\" fill=\"" + s.fill + "\" fill-opacity=\"" + (s.fillOpacity === undefined ? 1 : s.fillOpacity) +
        "\" stroke=\"" + (s.stroke || "none") + "\" stroke-width=\"" + (s.weight || 1) + "\"/></svg>";
    }
    const r = s.r || 6;
    const w = Math.max(18, 2 * r + 6);
    return "<svg class=\"sym\" width=\"" + w + "\" height=\"" + (2 * r + 4) + "\"><circle cx=\"" +
      (w / 2) + "\" cy=\"" + (r + 2) + "\" r=\"" + r + "\" fill=\"" + (s.fill || "none") +
      "\" fill-opacity=\"" + (s.fillOpacity === undefined ? 1 : s.fillOpacity) + "\" stroke=\"" +
      (s.stroke || "#333") + "\" stroke-width=\"" + (s.weight || 1) + "\"" +
      (s.dash ? " stroke-dasharray=\"" + s.dash + "\"" : "") + "/></svg>";
  }
  function entry(key, symbol, label) {
    return "<div class=\"legend-entry\" data-key=\"" + esc(key) + "\">" + symbol +
      "<span>" + esc(label) + "</span></div>";
  }
  function bigLabel() { return state.measure === "time" ? "2 min" : "1 km"; }

  function niceSizes() {
    const vals = (state.villages ? state.villages.features : []).map(function (f) {
      return sizeValue(f.properties);
    }).filter(function (v) { return has(v) && v > 0; });
    if (!vals.length) return [];
    const maxV = Math.max.apply(null, vals);
    return [100, 500, 1000, 5000, 10000, 50000].filter(function (v) { return v <= maxV * 1.2; })
      .slice(-3);
  }

  let legendDiv = null;
  function addLegend() {
    legendDiv = addPanelControl("bottomleft", "panel legend", "legend");
  }

  function renderLegend() {
    if (!legendDiv) return;
    const parts = [];
    const measureName = t(state.measure === "time" ? "measure_time" : "measure_distance");
    const cat = categoryName(state.category);
    const changing = (state.mode === "whatif" && state.scenario.result) ||
                     (state.mode === "compare" && state.compare);
    if (changing) {
      parts.push("<h2>" + esc(state.mode === "whatif" ? t("legend_whatif", { measure: measureName }) :
        t("legend_compare", { measure: measureName, old: state.compare.old, new: state.compare.new })) + "</h2>");
      parts.push("<div class=\"hint\">" + esc(categoryLabel(state.category)) + " · " +
                 esc(t("legend_by", { profile: profileName(state.profile) })) + "</div>");
      CHANGE_CLASSES.forEach(function (c) {
        parts.push(entry("change-" + c[0], swatch({ fill: c[1] }), t("change_" + c[0], { big: bigLabel() })));
      });
    } else {
      parts.push("<h2>" + esc(t(state.measure === "time" ? "legend_time" : "legend_distance",
                                 { category: cat })) + "</h2>");
      const methods = Object.keys((state.meta.origins || {}).methods || {});
      const perDwelling = methods.length === 1 && methods[0] === "addresses";
      parts.push("<div class=\"hint\" id=\"legend-method\">" +
        esc(t("legend_by", { profile: profileName(state.profile) })) + "; " +
        esc(state.meta.default_method !== "persons" ? t("legend_point") :
            perDwelling ? t("legend_dwellings") : t("legend_persons")) + "</div>");
      classesOf(state.measure).forEach(function (c, i) {
        parts.push(entry("class-" + i, swatch({ fill: c[1] }), c[2]));
      });
    }
    REASONS.forEach(function (r) {
      const s = REASON_STYLE[r];
      const highlight = r === "no_facility" && !facilitiesOf(state.category) ? " highlight" : "";
      parts.push(entry("reason-" + r, swatch({ fill: s.fillColor, fillOpacity: s.fillOpacity,
        stroke: s.color, weight: s.weight, dash: s.dashArray }), t("reason_" + r))
        .replace("legend-entry", "legend-entry" + highlight));
    });
    // circle size
    parts.push("<div class=\"section\"><b>" + esc(t(sizeIsResidents() ? "size_residents" :
      "size_population")) + "</b></div><div class=\"sizes legend-entry\" data-key=\"size\">");
    niceSizes().forEach(function (v) {
      parts.push("<span>" + swatch({ r: radius(v), fill: "#ddd" }) + num(v) + "</span>");
    });
    parts.push("<span>" + swatch({ r: radius(null), fill: "#ddd" }) + esc(t("size_unknown")) + "</span></div>");
    // facilities and overlays
    parts.push("<div class=\"section\"></div>");
    parts.push(entry("facility", "<span class=\"sym facility-symbol\"></span>",
                     t("legend_facility", { category: categoryLabel(state.category) })));
    if (state.mode === "whatif") {
      parts.push(entry("facility-closed", "<span class=\"sym facility-symbol closed\"></span>", t("legend_closed")));
      parts.push(entry("facility-new", "<span class=\"sym facility-new-symbol\">+</span>", t("legend_opened")));
      if (state.suggest.result && state.suggest.result.sites.length) {
        parts.push(entry("suggested", "<span class=\"sym suggest-symbol\"><span>1</span></span>",
                         t("legend_suggested")));
      }
    }
    if (state.showLabels) {
      parts.push(entry("labels", "<span class=\"sym label-symbol\">Aa</span>", t("legend_labels")));
    }
    if (state.iso.fc && state.iso.drawn) {
      const v = state.iso.drawn;
      v.forEach(function (x, i) {
        parts.push(entry("isochrone-" + x, swatch({ fill: isoColour(i, v.length), fillOpacity: 0.6,
          stroke: "#08306b" }, "square"), t("legend_isochrone", { value: num(x), unit: isoUnit() })));
      });
    }
    if (map.hasLayer(edgeLayer)) {
      parts.push(entry("roads", swatch({ color: "#8d8d8d", weight: 1.5 }, "line"),
                       t("legend_roads", { profile: profileLabel(roadProfile()) })));
    }
    if (state.meta.broadband) {
      const th = (state.meta.broadband.thresholds_mbps || [30])[0];
      if (map.hasLayer(whiteLayer)) {
        parts.push(entry("white", swatch({ fill: "#6a3d9a", fillOpacity: 0.3, stroke: "#6a3d9a", weight: 0.5 },
          "square"), t("legend_white", { mbps: th }) + (state.meta.synthetic_coverage ?
          " (" + t("synthetic") + ")" : "")));
      }
      parts.push(entry("double-disadvantage", swatch({ fill: "#fff", stroke: "#000", weight: 3 }),
        t("legend_dd") + (state.meta.synthetic_coverage ? " (" + t("synthetic") + ")" : "")));
    }
    if (map.hasLayer(gridLayer)) {
      parts.push(entry("grid", swatch({ fill: DISTANCE_CLASSES[1][1], fillOpacity: 0.55, stroke: "#555",
        weight: 0.3 }, "square"), t("legend_grid")));
    }
    const kinds = basemapKinds();
    if (kinds.length) {
      parts.push("<div class=\"section basemap-legend\">");
      kinds.forEach(function (k) {
        const s = BASEMAP_STYLE[k];
        const sym = k === "place" ? "<span class=\"sym place-symbol\">Aa</span>" :
          k === "waterway" ? swatch({ color: s.color, weight: 2 }, "line") :
          swatch({ fill: s.fillColor, fillOpacity: 1 }, "square");
        parts.push(entry("basemap-" + k, sym, t("kind_" + k)));
      });
      parts.push("</div>");
    }
    legendDiv.innerHTML = parts.join("");
  }

  // --- layer switch, double-disadvantage list, attribution ------------------------------------
  let layersControl = null;
  function renderLayersControl() {
    if (layersControl) layersControl.remove();
    const overlays = {};
    if (state.basemap) overlays[t("layer_basemap")] = basemapLayer;
    if (tileLayer) overlays[t("layer_tiles")] = tileLayer;
    overlays[t("layer_roads")] = edgeLayer;
    overlays[t("layer_labels")] = labelLayer;
    if (state.meta.broadband) {
      overlays[t("layer_white") + (state.meta.synthetic_coverage ? " – " + t("synthetic") : "")] = whiteLayer;
    }
    if (state.meta.default_method === "persons") overlays[t("layer_grid")] = gridLayer;
    layersControl = L.control.layers(null, overlays, { position: "topleft", collapsed: false }).addTo(map);
    layersControl.getContainer().id = "layers";
  }

  let ddDiv = null;
  function addDoubleDisadvantage() {
    if (!state.meta.broadband) return;
    ddDiv = addPanelControl("bottomright", "panel dd-panel", "dd-panel");
  }

  function renderDoubleDisadvantage() {
    if (!ddDiv) return;
    ddDiv.innerHTML = "";
    const head = el("div", { className: "head" }, ddDiv);
    el("h2", {}, head, t("dd_title") + (state.meta.synthetic_coverage ? " (" + t("synthetic") + ")" : ""));
    const tog = el("button", { type: "button", className: "toggle", id: "dd-toggle" }, head,
                   t(state.ddOpen ? "dd_hide" : "dd_show"));
    tog.addEventListener("click", function () { state.ddOpen = !state.ddOpen; renderDoubleDisadvantage(); });
    if (!state.ddOpen) return;
    el("p", { className: "hint" }, ddDiv, t("dd_hint"));
    const features = state.dd ? state.dd.features : [];
    if (!features.length) { el("p", {}, ddDiv, t("dd_none")); return; }
    const list = el("div", { id: "dd-list" }, ddDiv);
    features.forEach(function (f) {
      const p = f.properties;
      const b = el("button", { type: "button", className: "dd-entry" }, list);
      el("span", { className: "rank" }, b, (p.rank || "") + ".");
      el("b", {}, b, p.village_name || p.village_id);
      const cats = String(p.remote_categories || "").split(/[;,]\s*/).filter(Boolean)
        .map(categoryName).join(", ");
      el("span", {}, b, " (" + (p.municipality || "–") + "): " + t("dd_entry", {
        categories: cats, km: num(p.excess_km || 0, 1),
        mbps: has(p.max_mbps) ? num(p.max_mbps, 1) : "–" }));
      b.addEventListener("click", function () {
        const c = f.geometry.coordinates;
        zoomToVillage(p.village_id, c[0], c[1]);
      });
    });
  }

  function renderAttribution() {
    const a = map.attributionControl;
    if (state.attrs) state.attrs.forEach(function (x) { a.removeAttribution(x); });
    state.attrs = [OSM];
    if (state.meta && state.meta.synthetic_coverage) {
      state.attrs.push("<span class=\"synthetic-attr\">" + esc(t("attr_synthetic")) + "</span>");
    }
    state.attrs.forEach(function (x) { a.addAttribution(x); });
  }

  // --- start ----------------------------------------------------------------------------------
  async function start() {
    const params = new URLSearchParams(window.location.search);
    document.documentElement.lang = I18N.lang;
    let info;
    try {
      info = await fetch("builds").then(function (r) { return r.json(); });
    } catch (err) {
      info = { builds: [] };
    }
    state.builds = info.builds || [];
    state.limits = info.limits;
    state.tileUrl = info.tile_url || null;
    if (state.tileUrl) {
      tileLayer = L.tileLayer(state.tileUrl, { attribution: info.tile_attribution, maxZoom: 19 }).addTo(map);
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
      status(health.detail || t("no_build"), true);
      busy(false);
      return;
    }
    const wanted = params.get("build");
    state.meta = state.builds.find(function (b) { return b.name === wanted; }) ||
      state.builds.find(function (b) { return b.default; }) || state.builds[0];
    state.build = state.meta.name;
    const withFacilities = state.meta.categories.filter(function (c) { return c.facilities > 0; });
    const asked = params.get("category");
    state.category = state.meta.categories.some(function (c) { return c.id === asked; }) ? asked :
      (withFacilities.find(function (c) { return c.id === "gp"; }) || withFacilities[0] ||
       state.meta.categories[0]).id;
    const askedProfile = params.get("profile");
    state.profile = profileChoices().indexOf(askedProfile) >= 0 ? askedProfile :
      state.meta.default_profile;
    if (timetable()) state.measure = "time";
    if (params.get("measure") === "time") state.measure = "time";
    state.showLabels = true;
    if (state.meta.bbox) {
      const b = state.meta.bbox;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [20, 20] });
    }
    renderAttribution();
    addPanel();
    addLegend();
    addDoubleDisadvantage();
    map.getContainer().dataset.mode = state.mode;
    await loadBasemap();
    renderLayersControl();
    map.on("overlayadd", function (e) {
      if (e.layer === whiteLayer && !whiteLayer.getLayers().length) {
        loadWhiteAreas().then(renderLegend).catch(fail);
      } else if (e.layer === gridLayer) {
        loadGrid().then(renderLegend).catch(fail);
      } else if (e.layer === labelLayer) {
        state.showLabels = true;
        placeLabels();
      }
      renderLegend();
    });
    map.on("overlayremove", function (e) {
      if (e.layer === labelLayer) state.showLabels = false;
      if (e.layer === basemapLayer) placeLabels();
      renderLegend();
    });
    map.on("zoomend", zoomBasemap);
    map.on("zoomend moveend resize", placeLabels);
    map.on("click", function (e) {
      // a click on a panel whose content was redrawn under it reaches the map detached
      // from the panel (Leaflet then sees no control): only clicks on the map itself count
      const target = e.originalEvent && e.originalEvent.target;
      if (!target || !target.isConnected || target.closest(".leaflet-control")) return;
      if (state.mode === "whatif") openAt(e.latlng);
      else isochrone(e.latlng);
    });
    loadDoubleDisadvantage();
    await refresh(true);
  }

  start();
})();
