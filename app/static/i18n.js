/* bereik web map: every UI string, in Dutch (the default) and English.
 *
 * map.js looks strings up with t(key, {placeholders}); a key missing in one language falls
 * back to English, then to the key itself. Category names come from the API (label_nl /
 * label of GET /builds); profile names of the bundled profiles are here (PROFILES), others
 * keep the build's label.
 */
(function () {
  "use strict";

  const STRINGS = {
    nl: {
      subtitle: "Bereikbaarheid van voorzieningen per dorp",
      language: "Taal",
      build: "Build (gegevensset)",
      mode: "Weergave",
      mode_explore: "Bereikbaarheid",
      mode_whatif: "Wat als?",
      mode_compare: "Vergelijken",
      compare_needs_two: "Vergelijken kan zodra de service twee builds laadt " +
        "(bereik serve --build a --build b).",
      category: "Voorziening",
      profile: "Vervoer",
      measure: "Kleur naar",
      measure_distance: "afstand over de weg",
      measure_time: "reistijd",
      none_suffix: "geen in de data",
      none_notice: "Dit extract heeft geen enkele {category}. Er is dus niets om de afstand " +
        "toe te meten: de dorpen staan als ‘geen in de data’ op de kaart (niet als 0 en niet " +
        "als onbereikbaar). Kies een andere voorziening, bouw met een eigen lijst " +
        "(--facilities), of open er een onder ‘Wat als?’.",
      loading: "laden…",
      loaded: "{villages} dorpen, {facilities} × {category}",
      loaded_none: "{villages} dorpen; geen enkele {category} in de data",
      no_build: "geen build geladen",

      iso_title: "Isochronen",
      iso_values: "Waarden (komma's)",
      iso_unit: "Eenheid",
      iso_minutes: "minuten",
      iso_meters: "meter",
      iso_direction: "Richting",
      iso_from: "vanaf het punt",
      iso_to: "naar het punt",
      iso_hint: "Klik op de kaart, of op ‘Isochronen vanaf hier’ bij een dorp.",
      iso_clear: "Wis isochronen",
      iso_from_here: "Isochronen vanaf hier",
      iso_bad: "Geef getallen groter dan 0, gescheiden door komma's (bijv. 5,10,15).",
      iso_computing: "isochronen berekenen…",
      iso_done: "{n} isochronen: {values} {unit} per {profile}",
      iso_tooltip: "{contour} {unit} per {profile}: {area} km², {population} inwoners in " +
        "{villages} dorpen",

      whatif_hint: "Klik op een voorziening om die te sluiten (nog eens klikken: weer " +
        "open). Klik ergens anders op de kaart om daar een nieuwe {category} te openen.",
      whatif_nothing: "Nog geen wijziging.",
      whatif_closed: "dicht: {name}",
      whatif_opened: "nieuw: {name}",
      whatif_new_name: "Nieuwe {category}",
      whatif_reset: "Alles terug",
      whatif_computing: "scenario berekenen…",
      whatif_untouched: "Deze wijzigingen raken de {category} niet.",
      whatif_click_close: "klik om te sluiten",
      whatif_click_reopen: "gesloten; klik om weer te openen",
      whatif_click_remove: "nieuw; klik om weg te halen",

      suggest_title: "Locaties voorstellen",
      suggest_hint: "Waar een nieuwe {category} het meest helpt; de bestaande blijven. " +
        "Kandidaten: de dorpen zonder {category} binnen 1 km.",
      suggest_km: "Afstand (km)",
      suggest_count: "Aantal locaties",
      suggest_count_cover: "zoveel als nodig (hoogstens 10)",
      suggest_objective: "Doel",
      suggest_obj_coverage: "meeste inwoners binnen bereik",
      suggest_obj_median: "kortste gemiddelde afstand",
      suggest_obj_cover: "minste locaties tot 95 % binnen bereik",
      suggest_run: "Voorstellen",
      suggest_clear: "Voorstellen wissen",
      suggest_computing: "locaties zoeken…",
      suggest_bad: "Geef een afstand groter dan 0 en 1 tot 10 locaties.",
      suggest_summary: "binnen {km} km: {before} → {after} van {persons} {unit} ({method})",
      suggest_method_exact: "exact",
      suggest_method_greedy: "benadering (greedy)",
      suggest_method_best_found: "beste gevonden binnen de tijd",
      suggest_gap: "hoogstens {gap} van het optimum",
      suggest_detail: "{n} × {category}; gemiddelde afstand {before} → {after}",
      suggest_none: "Geen locatie helpt: wie een kandidaat bereikt, heeft al een {category} " +
        "binnen bereik.",
      suggest_unit_persons: "inwoners",
      suggest_unit_dwellings: "woningen",
      suggest_pop_title: "voorgestelde {category}",
      suggest_pop_newly: "{n} {unit} nieuw binnen {km} km",
      suggest_pop_share: "daarna {share} binnen {km} km",
      suggest_pop_opened: "geopend in het wat-als-scenario",
      suggest_open: "Hier openen als scenario",
      suggest_open_name: "{name} (voorstel {rank})",
      legend_suggested: "voorgestelde locatie (nummer: volgorde)",

      compare_old: "Oud (voor)",
      compare_new: "Nieuw (na)",
      compare_same: "Kies twee verschillende builds.",
      compare_computing: "vergelijken…",
      compare_hint: "Dorpen gekleurd naar de verandering van {old} naar {new}.",

      summary_worse: "{villages} dorpen verder weg ({population} inwoners)",
      summary_lost: "{villages} dorpen verliezen toegang ({population} inwoners)",
      summary_better: "{villages} dorpen dichterbij ({population} inwoners)",
      summary_gained: "{villages} dorpen krijgen toegang ({population} inwoners)",
      summary_same: "{villages} dorpen gelijk",
      summary_max: "grootste toename: {km}",
      summary_persons: "Over alle adressen: {worse} inwoners verder weg, {lost} zonder " +
        "toegang, {better} dichterbij; {beyond} niet meer binnen {r} km.",
      summary_persons_dwellings: "Over alle adressen: {worse} woningen verder weg, {lost} " +
        "zonder toegang, {better} dichterbij; {beyond} niet meer binnen {r} km.",
      verdict_ok: "Nabijheid bleef minstens gelijk ✓",
      verdict_bad: "Nabijheid ging achteruit ✗",

      legend: "Legenda",
      legend_distance: "Afstand tot de dichtstbijzijnde {category}",
      legend_time: "Reistijd tot de dichtstbijzijnde {category}",
      legend_by: "per {profile}",
      legend_point: "vanaf het dorpspunt",
      legend_persons: "gemiddelde over de inwoners van elk dorp (elk adres, gewogen)",
      legend_dwellings: "gemiddelde over de woningen van elk dorp (geen inwonertal bekend)",
      legend_whatif: "Wat als: verandering van de {measure}",
      legend_compare: "Verandering van de {measure}: {old} → {new}",
      change_gained: "krijgt toegang",
      change_much_better: "veel dichterbij (meer dan {big})",
      change_better: "dichterbij",
      change_same: "gelijk",
      change_worse: "verder weg",
      change_much_worse: "veel verder weg (meer dan {big})",
      change_lost: "verliest toegang",
      reason_no_facility: "geen in de data (dit extract heeft er geen)",
      reason_unreachable: "onbereikbaar (geen route)",
      reason_no_service: "geen openbaar vervoer in het tijdvak (geen halte met vertrek binnen loopafstand)",
      reason_unreachable_often: "met openbaar vervoer niet bij de helft van de vertrektijden",
      reason_not_on_network: "niet bij het wegennet (te ver van een weg)",
      size_residents: "Cirkel = aantal inwoners",
      size_population: "Cirkel = inwonertal (OSM)",
      size_unknown: "onbekend",
      legend_facility: "{category}",
      legend_closed: "gesloten (wat als)",
      legend_opened: "nieuw geopend (wat als)",
      legend_isochrone: "isochroon {value} {unit}",
      legend_roads: "wegennet ({profile})",
      legend_white: "witte vlek: breedband onder {mbps} Mbit/s",
      legend_dd: "dubbele achterstand: ver weg én geen snel internet",
      legend_grid: "inwoners per vak van 250 m, gekleurd naar hun gem. afstand per auto",
      legend_labels: "dorpsnaam (meer namen bij inzoomen)",
      synthetic: "SYNTHETISCH",

      kind_water: "water",
      kind_waterway: "waterloop",
      kind_wetland: "moeras, veen",
      kind_forest: "bos",
      kind_grass: "grasland, heide",
      kind_farmland: "landbouwgrond",
      kind_residential: "woonwijk",
      kind_industrial: "bedrijventerrein",
      kind_built_up: "bebouwde kom",
      kind_place: "plaatsnaam",

      layer_roads: "Wegennet",
      layer_labels: "Dorpsnamen",
      layer_white: "Witte vlekken (breedband)",
      layer_grid: "Waar de inwoners wonen (raster 250 m)",
      layer_basemap: "Achtergrondkaart (uit het extract)",
      layer_tiles: "Achtergrondtegels",

      dd_title: "Dubbele achterstand",
      dd_hint: "Ver van voorzieningen én in een witte vlek. Klik om in te zoomen.",
      dd_none: "Geen dorp met een dubbele achterstand.",
      dd_entry: "{categories} {km} km te ver, {mbps} Mbit/s",
      dd_show: "tonen",
      dd_hide: "verbergen",

      pop_population: "inwonertal",
      pop_unknown: "onbekend",
      pop_value: "{category} per {profile}: {km}, {min}",
      pop_transit: "openbaar vervoer: mediaan {median}, p90 {p90}, {transfers} keer overstappen",
      pop_no_car: "zonder auto: {min} ({mode}); OV/auto (VF) {vf}",
      pop_mean_residents: "gemiddelde over {n} inwoners; 90% binnen {p90}",
      pop_mean_dwellings: "gemiddelde over {n} woningen; 90% binnen {p90}",
      pop_reason: "geen waarde: {reason}",
      pop_broadband: "breedband: {cls}",
      pop_dd: "dubbele achterstand: ver van voorzieningen en zonder snel internet",
      pop_before_after: "voor: {before} · na: {after} ({change})",
      pop_status: "uitkomst: {status}",
      bb_white: "witte vlek",
      bb_basic: "basis",
      bb_nga: "snel (NGA)",
      bb_unknown: "onbekend",

      attr_synthetic: "breedband: SYNTHETISCH voorbeeld, geen echte dekking",
      grid_tooltip: "{n} inwoners, gemiddeld {km} tot de {category} per auto",
      grid_tooltip_dwellings: "{n} woningen, gemiddeld {km} tot de {category} per auto",
      facility: "voorziening",
    },
    en: {
      subtitle: "Accessibility of facilities per village",
      language: "Language",
      build: "Build (data set)",
      mode: "View",
      mode_explore: "Accessibility",
      mode_whatif: "What if?",
      mode_compare: "Compare",
      compare_needs_two: "Comparing needs two builds served " +
        "(bereik serve --build a --build b).",
      category: "Facility",
      profile: "Travel by",
      measure: "Colour by",
      measure_distance: "road distance",
      measure_time: "travel time",
      none_suffix: "none in the data",
      none_notice: "This extract has no {category} at all, so there is nothing to measure " +
        "the distance to: villages are shown as 'none in the data' (not as 0, not as " +
        "unreachable). Choose another facility, build with your own list (--facilities), " +
        "or open one under 'What if?'.",
      loading: "loading…",
      loaded: "{villages} villages, {facilities} × {category}",
      loaded_none: "{villages} villages; no {category} in the data",
      no_build: "no build loaded",

      iso_title: "Isochrones",
      iso_values: "Values (commas)",
      iso_unit: "Unit",
      iso_minutes: "minutes",
      iso_meters: "metres",
      iso_direction: "Direction",
      iso_from: "from the point",
      iso_to: "to the point",
      iso_hint: "Click the map, or 'Isochrones from here' on a village.",
      iso_clear: "Clear isochrones",
      iso_from_here: "Isochrones from here",
      iso_bad: "Give numbers above 0, separated by commas (e.g. 5,10,15).",
      iso_computing: "computing isochrones…",
      iso_done: "{n} isochrones: {values} {unit} by {profile}",
      iso_tooltip: "{contour} {unit} by {profile}: {area} km², population {population} in " +
        "{villages} villages",

      whatif_hint: "Click a facility to close it (click again: reopen). Click anywhere else " +
        "on the map to open a new {category} there.",
      whatif_nothing: "No change yet.",
      whatif_closed: "closed: {name}",
      whatif_opened: "opened: {name}",
      whatif_new_name: "New {category}",
      whatif_reset: "Reset",
      whatif_computing: "computing the scenario…",
      whatif_untouched: "These changes do not touch {category}.",
      whatif_click_close: "click to close",
      whatif_click_reopen: "closed; click to reopen",
      whatif_click_remove: "new; click to remove",

      suggest_title: "Suggest sites",
      suggest_hint: "Where a new {category} helps most; the existing ones stay. " +
        "Candidates: the villages without a {category} within 1 km.",
      suggest_km: "Distance (km)",
      suggest_count: "Sites",
      suggest_count_cover: "as many as needed (at most 10)",
      suggest_objective: "Objective",
      suggest_obj_coverage: "most persons within reach",
      suggest_obj_median: "shortest mean distance",
      suggest_obj_cover: "fewest sites until 95 % are within reach",
      suggest_run: "Suggest",
      suggest_clear: "Clear suggestions",
      suggest_computing: "finding sites…",
      suggest_bad: "Give a distance above 0 and 1 to 10 sites.",
      suggest_summary: "within {km} km: {before} → {after} of {persons} {unit} ({method})",
      suggest_method_exact: "exact",
      suggest_method_greedy: "greedy",
      suggest_method_best_found: "best found within the time budget",
      suggest_gap: "at most {gap} from the optimum",
      suggest_detail: "{n} × {category}; mean distance {before} → {after}",
      suggest_none: "No site helps: whoever a candidate reaches already has a {category} " +
        "within reach.",
      suggest_unit_persons: "persons",
      suggest_unit_dwellings: "dwellings",
      suggest_pop_title: "suggested {category}",
      suggest_pop_newly: "{n} {unit} newly within {km} km",
      suggest_pop_share: "then {share} within {km} km",
      suggest_pop_opened: "opened in the what-if scenario",
      suggest_open: "Open here as scenario",
      suggest_open_name: "{name} (suggestion {rank})",
      legend_suggested: "suggested site (number: order added)",

      compare_old: "Old (before)",
      compare_new: "New (after)",
      compare_same: "Choose two different builds.",
      compare_computing: "comparing…",
      compare_hint: "Villages coloured by the change from {old} to {new}.",

      summary_worse: "{villages} villages farther ({population} residents)",
      summary_lost: "{villages} villages lose access ({population} residents)",
      summary_better: "{villages} villages closer ({population} residents)",
      summary_gained: "{villages} villages gain access ({population} residents)",
      summary_same: "{villages} villages the same",
      summary_max: "largest increase: {km}",
      summary_persons: "Over every address: {worse} residents farther, {lost} without " +
        "access, {better} closer; {beyond} no longer within {r} km.",
      summary_persons_dwellings: "Over every address: {worse} dwellings farther, {lost} " +
        "without access, {better} closer; {beyond} no longer within {r} km.",
      verdict_ok: "Proximity at least stayed the same ✓",
      verdict_bad: "Proximity got worse ✗",

      legend: "Legend",
      legend_distance: "Distance to the nearest {category}",
      legend_time: "Travel time to the nearest {category}",
      legend_by: "by {profile}",
      legend_point: "from the village point",
      legend_persons: "mean over the residents of each village (every address, weighted)",
      legend_dwellings: "mean over the dwellings of each village (no population known)",
      legend_whatif: "What if: change of the {measure}",
      legend_compare: "Change of the {measure}: {old} → {new}",
      change_gained: "gains access",
      change_much_better: "much closer (more than {big})",
      change_better: "closer",
      change_same: "the same",
      change_worse: "farther",
      change_much_worse: "much farther (more than {big})",
      change_lost: "loses access",
      reason_no_facility: "none in the data (this extract has none)",
      reason_unreachable: "unreachable (no route)",
      reason_no_service: "no public transport in the window (no stop with a departure within walking distance)",
      reason_unreachable_often: "by public transport not at half of the departure times",
      reason_not_on_network: "not on the road network (too far from a road)",
      size_residents: "Circle = residents",
      size_population: "Circle = population (OSM)",
      size_unknown: "unknown",
      legend_facility: "{category}",
      legend_closed: "closed (what if)",
      legend_opened: "opened (what if)",
      legend_isochrone: "isochrone {value} {unit}",
      legend_roads: "road network ({profile})",
      legend_white: "white area: broadband below {mbps} Mbit/s",
      legend_dd: "double disadvantage: remote and offline",
      legend_grid: "residents per 250 m cell, coloured by their mean car distance",
      legend_labels: "village name (more names as you zoom in)",
      synthetic: "SYNTHETIC",

      kind_water: "water",
      kind_waterway: "waterway",
      kind_wetland: "wetland, bog",
      kind_forest: "forest",
      kind_grass: "grass, heath",
      kind_farmland: "farmland",
      kind_residential: "residential",
      kind_industrial: "industrial",
      kind_built_up: "built-up area",
      kind_place: "place name",

      layer_roads: "Road network",
      layer_labels: "Village names",
      layer_white: "White areas (broadband)",
      layer_grid: "Where the residents live (250 m grid)",
      layer_basemap: "Background map (from the extract)",
      layer_tiles: "Background tiles",

      dd_title: "Double disadvantage",
      dd_hint: "Far from services and in a white area. Click to zoom.",
      dd_none: "No village with a double disadvantage.",
      dd_entry: "{categories} {km} km too far, {mbps} Mbit/s",
      dd_show: "show",
      dd_hide: "hide",

      pop_population: "population",
      pop_unknown: "unknown",
      pop_value: "{category} by {profile}: {km}, {min}",
      pop_transit: "public transport: median {median}, p90 {p90}, {transfers} transfers",
      pop_no_car: "without a car: {min} ({mode}); transit/car (VF) {vf}",
      pop_mean_residents: "mean over {n} residents; 90% within {p90}",
      pop_mean_dwellings: "mean over {n} dwellings; 90% within {p90}",
      pop_reason: "no value: {reason}",
      pop_broadband: "broadband: {cls}",
      pop_dd: "double disadvantage: far from services and without fast internet",
      pop_before_after: "before: {before} · after: {after} ({change})",
      pop_status: "outcome: {status}",
      bb_white: "white area",
      bb_basic: "basic",
      bb_nga: "fast (NGA)",
      bb_unknown: "unknown",

      attr_synthetic: "broadband: SYNTHETIC sample, not real coverage",
      grid_tooltip: "{n} residents, mean {km} to the {category} by car",
      grid_tooltip_dwellings: "{n} dwellings, mean {km} to the {category} by car",
      facility: "facility",
    },
  };

  // the bundled profiles (accessibility/profiles.toml) by name; others keep the build's label
  const PROFILES = {
    nl: { car: "Auto", bike: "Fiets", walk: "Lopen", cbs: "Auto, verharde wegen (CBS)",
          transit: "Openbaar vervoer (mediaan)", no_car: "Zonder auto (lopen, fiets, OV)" },
    en: { car: "Car", bike: "Bicycle", walk: "On foot", cbs: "Car, paved roads (CBS)",
          transit: "Public transport (median)", no_car: "Without a car (walk, bike, transit)" },
  };

  const LANGS = ["nl", "en"];
  const STORAGE_KEY = "bereik.lang";
  let current = "nl";

  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, function (m, k) {
      return vars && vars[k] !== undefined && vars[k] !== null ? String(vars[k]) : m;
    });
  }

  const i18n = {
    LANGS: LANGS,
    STRINGS: STRINGS,
    PROFILES: PROFILES,
    /** The language to start in: ?lang=, else the stored choice, else Dutch. */
    initial: function () {
      const asked = new URLSearchParams(window.location.search).get("lang");
      let stored = null;
      try { stored = window.localStorage.getItem(STORAGE_KEY); } catch (e) { stored = null; }
      const lang = [asked, stored].find(function (l) { return LANGS.indexOf(l) >= 0; });
      return lang || "nl";
    },
    get lang() { return current; },
    /** Switch the language and remember it (localStorage). */
    set: function (lang) {
      if (LANGS.indexOf(lang) < 0) return;
      current = lang;
      document.documentElement.lang = lang;
      try { window.localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* private mode */ }
    },
    /** The string ``key`` in the current language with {placeholders} filled in. */
    t: function (key, vars) {
      const text = (STRINGS[current] || {})[key];
      return fill(text !== undefined ? text : (STRINGS.en[key] !== undefined ?
        STRINGS.en[key] : key), vars);
    },
    /** A number in the current language (1.234,5 or 1,234.5). */
    number: function (value, decimals) {
      return Number(value).toLocaleString(current === "nl" ? "nl-NL" : "en-GB", {
        minimumFractionDigits: decimals, maximumFractionDigits: decimals,
      });
    },
  };
  window.BEREIK_I18N = i18n;
})();
