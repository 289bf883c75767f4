"""The report's words in Dutch and English, and its number formatting.

:data:`STRINGS` is the one table of the report's text: a key, then the Dutch and the English
wording (``{name}`` placeholders filled by :func:`text`). :data:`CATEGORY_NAMES` names the
facility categories in both languages (from the build's category labels).
Numbers follow the language: ``1.234,5`` and a decimal comma in Dutch, ``1,234.5`` in
English.
"""

from __future__ import annotations

import math
import re

LANGUAGES = ("nl", "en")
#: what a table shows for a figure that does not exist (an en dash)
MISSING = "\u2013"

#: key -> (Dutch, English)
STRINGS: dict[str, tuple[str, str]] = {
    # --- title page ---------------------------------------------------------------------------
    "kicker": ("Rapport voor Provinciale Staten", "Report for the provincial council"),
    "title": ("Bereikbaarheid van voorzieningen", "Access to facilities"),
    "subtitle_all": ("Alle dorpen en kernen van build {build}", "All villages of build {build}"),
    "subtitle_mun": (
        "Gemeente {municipality} (build {build})",
        "Municipality of {municipality} (build {build})",
    ),
    "facts": ("Over dit rapport", "About this report"),
    "fact_build": ("Build", "Build"),
    "fact_extract": ("OpenStreetMap-extract", "OpenStreetMap extract"),
    "fact_osm_date": ("Stand van de OSM-gegevens", "OSM data as of"),
    "fact_built": ("Build gemaakt op", "Build made on"),
    "fact_report_date": ("Rapportdatum", "Report date"),
    "fact_area": ("Gebied", "Area"),
    "fact_villages": ("Dorpen en kernen", "Villages"),
    "fact_persons": ("Inwoners (geschat uit adressen)", "Residents (estimated from addresses)"),
    "fact_dwellings": ("Woningen (adressen)", "Dwellings (addresses)"),
    "fact_profile": ("Vervoerswijze", "Mode of travel"),
    "fact_compare": ("Vergeleken met build", "Compared with build"),
    "area_all": ("alle gemeenten van de build", "every municipality of the build"),
    "unknown": ("onbekend", "unknown"),
    "measured": ("Wat is gemeten", "What was measured"),
    "measured_text": (
        "Voor elk dorp en elke kern is de kortste afstand over de weg ({profile}) naar de "
        "dichtstbijzijnde voorziening van elke soort berekend, over het wegennet van "
        "OpenStreetMap. {persons_text} De ringen 1, 3 en 5 km zijn die van het CBS "
        "(<i>Nabijheid voorzieningen</i>). Het beleid van de provincie is dat nabijheid en "
        "bereikbaarheid van voorzieningen <b>ten minste gelijk blijven</b>.",
        "For every village the shortest road distance ({profile}) to the nearest facility of "
        "each kind was computed over the OpenStreetMap road network. {persons_text} The rings "
        "of 1, 3 and 5 km are those of CBS (<i>Nabijheid voorzieningen</i>, proximity of "
        "facilities). The province's policy is that the proximity and accessibility of "
        "facilities <b>at least stay the same</b>.",
    ),
    "persons_text": (
        "Waar adressen bekend zijn, is ook van elk adres de afstand berekend en zijn de "
        "cijfers gemiddelden over de inwoners, zoals het CBS ze berekent.",
        "Where addresses are known, every address was measured too, and the figures are "
        "means over the residents, as CBS computes them.",
    ),
    "village_text": (
        "De cijfers gelden voor het punt van elk dorp (de build heeft geen adressen).",
        "The figures are for each village's point (the build has no addresses).",
    ),
    "synthetic_label": ("SYNTHETISCH", "SYNTHETIC"),
    "synthetic_text": (
        "{what} in deze build zijn <b>synthetisch</b>: een voorbeeld om de werkwijze te "
        "tonen, geen echte gegevens. Trek er geen conclusies uit.",
        "{what} in this build are <b>synthetic</b>: a sample that shows the method, not real "
        "data. Draw no conclusions from them.",
    ),
    "synthetic_broadband": ("De breedbandgegevens", "The broadband data"),
    "synthetic_input": ("De gegevens van {name}", "The data of {name}"),
    "attribution": (
        "Kaartgegevens © OpenStreetMap-bijdragers, beschikbaar onder de Open Database "
        "License (ODbL 1.0), openstreetmap.org/copyright.",
        "Map data © OpenStreetMap contributors, available under the Open Database License "
        "(ODbL 1.0), openstreetmap.org/copyright.",
    ),
    "contents": ("Inhoud", "Contents"),
    "in_short": ("In het kort", "In short"),
    "in_short_intro": (
        "De belangrijkste voorzieningen, {profile}: gemiddelde afstand, aandeel van {over} "
        "verder dan {r} km en het verste dorp.",
        "The key facilities, {profile}: mean distance, share of {over} beyond {r} km and "
        "the farthest village.",
    ),
    "over_persons": ("de inwoners", "the residents"),
    "over_villages": ("de bevolking van de dorpen", "the villages' population"),
    # --- maps ---------------------------------------------------------------------------------
    "maps": ("Kaarten per voorziening", "Maps by facility"),
    "maps_intro": (
        "Elk dorp gekleurd naar de afstand over de weg ({profile}) tot de dichtstbijzijnde "
        "voorziening; zwarte kruisjes zijn de voorzieningen, grijze lijnen de wegen.",
        "Every village coloured by the road distance ({profile}) to the nearest facility; "
        "black crosses are the facilities, grey lines the roads.",
    ),
    "map_caption": (
        "{category}: afstand over de weg per dorp",
        "{category}: road distance per village",
    ),
    "none_in_extract": (
        "Het extract bevat geen enkele voorziening van de soort {category}; daarom is er "
        "geen kaart of ranglijst. Voeg ze toe met een eigen bestand (<code>--facilities</code>).",
        "The extract has no facility of the kind {category}, so there is no map or ranking. "
        "Add them from a file of your own (<code>--facilities</code>).",
    ),
    "not_in_build": (
        "De build kent de soort {category} niet (eigen lijst van categorieën).",
        "The build does not define the kind {category} (its own category list).",
    ),
    "legend_no_data": ("geen voorziening / onbereikbaar", "no facility / unreachable"),
    "legend_facility": ("voorziening", "facility"),
    # --- charts -------------------------------------------------------------------------------
    "charts": ("Afstanden in grafieken", "Distances in charts"),
    "distribution": ("Verdeling van de afstanden", "Distribution of the distances"),
    "distribution_persons": (
        "Aandeel inwoners (naar adres) binnen een afstand over de weg ({profile}), per "
        "voorziening. De stippellijnen zijn de ringen van het CBS.",
        "Share of residents (by address) within a road distance ({profile}), per facility. "
        "The dotted lines are the CBS rings.",
    ),
    "distribution_villages": (
        "Aandeel dorpen binnen een afstand over de weg ({profile}), per voorziening. De "
        "stippellijnen zijn de ringen van het CBS.",
        "Share of villages within a road distance ({profile}), per facility. The dotted "
        "lines are the CBS rings.",
    ),
    "axis_distance_km": ("afstand over de weg (km)", "road distance (km)"),
    "axis_share_within_persons": (
        "aandeel inwoners binnen de afstand",
        "share of residents within the distance",
    ),
    "axis_share_within_villages": (
        "aandeel dorpen binnen de afstand",
        "share of villages within the distance",
    ),
    "rings": ("Aandeel verder dan de ringen van het CBS", "Share beyond the CBS rings"),
    "rings_persons": (
        "Aandeel van de inwoners (over alle adressen, zoals het CBS) dat verder dan 1, 3 of "
        "5 km over de weg ({profile}) van de dichtstbijzijnde voorziening woont; wie de "
        "voorziening niet kan bereiken telt als verder.",
        "Share of the residents (over every address, as CBS computes it) living farther than "
        "1, 3 or 5 km by road ({profile}) from the nearest facility; those who cannot reach "
        "it count as beyond.",
    ),
    "rings_villages": (
        "Aandeel van de bevolking van de dorpen (gewogen naar inwonertal; zonder bekend "
        "inwonertal telt elk dorp even zwaar) dat verder dan 1, 3 of 5 km over de weg "
        "({profile}) van de dichtstbijzijnde voorziening ligt; onbereikbaar telt als verder.",
        "Share of the villages' population (weighted by population; where none is known each "
        "village counts once) farther than 1, 3 or 5 km by road ({profile}) from the nearest "
        "facility; unreachable counts as beyond.",
    ),
    "fairness": ("Hoe gelijk is de afstand verdeeld?", "How evenly is the distance spread?"),
    "fairness_intro": (
        "Per voorziening de spreiding van de afstand over de weg ({profile}) over de "
        "{unit_nl}: de Gini-coëfficiënt (0: iedereen even ver, 1: één persoon draagt alle "
        "afstand), de Palma-ratio (de afstand die de verste 10 % aflegt gedeeld door die van "
        "de dichtstbijzijnde 40 %; 0,25 als iedereen even ver woont) en het verschil tussen "
        "het gemiddelde van het slechtst en het best bediende tiende.",
        "Per facility, how the road distance ({profile}) is spread over the {unit_en}: the "
        "Gini coefficient (0: everyone equally far, 1: one person bears all the distance), "
        "the Palma ratio (the distance the farthest 10 % travel divided by that of the "
        "nearest 40 %; 0.25 when everyone is equally far) and the gap between the means of "
        "the worst- and the best-served tenth.",
    ),
    "col_gini": ("Gini", "Gini"),
    "col_palma": ("Palma-ratio", "Palma ratio"),
    "col_tenth_gap_km": ("Verste minus dichtste tiende (km)", "Farthest minus nearest tenth (km)"),
    "axis_share_beyond": ("aandeel verder dan de ring", "share beyond the ring"),
    "beyond_ring": ("verder dan {r} km", "beyond {r} km"),
    "col_category": ("Voorziening", "Facility"),
    "col_facilities": ("Aantal", "Number"),
    "col_mean_km": ("Gemiddeld (km)", "Mean (km)"),
    "col_beyond_last": ("Verder dan {r} km", "Beyond {r} km"),
    "col_farthest": ("Verste dorp", "Farthest village"),
    "none_categories": (
        "Geen enkele voorziening in het extract: {names}.",
        "No facility at all in the extract: {names}.",
    ),
    "ranking": ("Ranglijst: de verste dorpen", "Ranking: the farthest villages"),
    "ranking_intro": (
        "Per voorziening de {n} dorpen met de grootste afstand over de weg ({profile}) tot "
        "de dichtstbijzijnde, de verste eerst; dorpen die er niet komen staan bovenaan.",
        "Per facility the {n} villages with the longest road distance ({profile}) to the "
        "nearest one, farthest first; villages that cannot reach one come first.",
    ),
    "ranking_caption": ("{category}: de verste dorpen", "{category}: the farthest villages"),
    "col_rank": ("Nr.", "No."),
    "col_village": ("Dorp", "Village"),
    "col_municipality": ("Gemeente", "Municipality"),
    "col_population": ("Inwoners", "Population"),
    "col_distance_km": ("Afstand (km)", "Distance (km)"),
    "col_time_min": ("Reistijd (min)", "Travel time (min)"),
    "unreachable": ("onbereikbaar", "unreachable"),
    "not_on_network": ("niet aan het wegennet", "not on the network"),
    # --- comparison ---------------------------------------------------------------------------
    "compare": ("Vergelijking met {other}", "Comparison with {other}"),
    "compare_intro": (
        "Per voorziening: hoeveel dorpen verder van de dichtstbijzijnde voorziening kwamen "
        "te liggen ({profile}) dan in build {other}, en of de nabijheid ten minste gelijk "
        "bleef (geen dorp verder weg, geen dorp dat een voorziening niet meer bereikt). "
        "Verschillen kleiner dan {tol} m tellen als gelijk. {method}",
        "Per facility: how many villages got farther from the nearest facility ({profile}) "
        "than in build {other}, and whether proximity at least stayed the same (no village "
        "farther, none that can no longer reach one). Differences below {tol} m count as the "
        "same. {method}",
    ),
    "compare_method_persons": (
        "Vergeleken zijn de gemiddelden over de inwoners per dorp (en buitengebied).",
        "Compared are the means over the residents of each village (and buitengebied).",
    ),
    "compare_method_villages": (
        "Vergeleken zijn de afstanden vanaf de dorpspunten.",
        "Compared are the distances from the village points.",
    ),
    "col_worse": ("Verder weg", "Farther"),
    "col_lost": ("Niet meer bereikbaar", "Lost access"),
    "col_better": ("Dichterbij", "Closer"),
    "col_gained": ("Nu bereikbaar", "Gained access"),
    "col_same": ("Gelijk", "Same"),
    "col_pop_worse_persons": ("Inwoners verder weg", "Residents farther"),
    "col_pop_worse_villages": ("Bevolking verder weg", "Population farther"),
    "col_max_increase": ("Grootste toename (km)", "Largest increase (km)"),
    "col_verdict": ("Oordeel", "Verdict"),
    "verdict_same": ("ten minste gelijk", "at least the same"),
    "verdict_worse": ("verslechterd", "got worse"),
    "change_caption": ("{category}: verandering per dorp", "{category}: change per village"),
    "change_unchanged": (
        "{category}: ongewijzigd in elk dorp.",
        "{category}: unchanged in every village.",
    ),
    "axis_change_km": (
        "verandering van de afstand (km); rood = verder weg",
        "change of the distance (km); red = farther",
    ),
    "worse_villages": (
        "Dorpen die verder van een voorziening kwamen te liggen",
        "Villages that got farther from a facility",
    ),
    "no_worse_villages": (
        "Geen enkel dorp kwam verder van een voorziening te liggen.",
        "No village got farther from any facility.",
    ),
    "col_before_km": ("Was (km)", "Was (km)"),
    "col_after_km": ("Nu (km)", "Now (km)"),
    "col_change_km": ("Verschil (km)", "Change (km)"),
    "col_status": ("Toestand", "Status"),
    "status_same": ("ongewijzigd", "unchanged"),
    "status_worse": ("verder weg", "farther"),
    "status_lost": ("niet meer bereikbaar", "lost access"),
    "status_better": ("dichterbij", "closer"),
    "status_gained": ("nu bereikbaar", "gained access"),
    "categories_left_out": (
        "Soorten zonder enige voorziening in beide builds zijn weggelaten.",
        "Kinds without any facility in either build are left out.",
    ),
    # --- double disadvantage ------------------------------------------------------------------
    "double": (
        "Dubbele achterstand: ver weg én zonder snel internet",
        "Double disadvantage: remote and without fast internet",
    ),
    "double_intro": (
        "Dorpen in een witte vlek (minder dan {mbps} Mbit/s) die ook ver van voorzieningen "
        "liggen (met de auto: {limits}; onbereikbaar telt als ver). Gerangschikt naar "
        "inwoners maal kilometers boven de grens.",
        "Villages in a white area (below {mbps} Mbit/s) that are also far from facilities "
        "(by car: {limits}; unreachable counts as far). Ranked by population times the "
        "kilometres beyond the limits.",
    ),
    "double_none": (
        "Geen enkel dorp heeft een dubbele achterstand.",
        "No village has a double disadvantage.",
    ),
    "double_no_coverage": (
        "Deze build heeft geen breedbanddekking (<code>--coverage</code>); de dubbele "
        "achterstand is niet bepaald.",
        "This build has no broadband coverage (<code>--coverage</code>); the double "
        "disadvantage was not determined.",
    ),
    "col_remote_for": ("Ver weg van", "Remote from"),
    "col_excess_km": ("Km boven de grens", "Km beyond the limit"),
    "col_max_mbps": ("Snelste verbinding (Mbit/s)", "Fastest connection (Mbit/s)"),
    "over_limit": (
        "{category}: {km} km (grens {limit} km)",
        "{category}: {km} km (limit {limit} km)",
    ),
    "unreachable_by_car": (
        "{category}: met de auto onbereikbaar",
        "{category}: unreachable by car",
    ),
    # --- method and sources -------------------------------------------------------------------
    "method": ("Werkwijze en bronnen", "Method and data sources"),
    "method_text": (
        "bereik leest het OpenStreetMap-extract in één keer, maakt er per vervoerswijze een "
        "wegennet van (eenrichtingsverkeer, afslagverboden en slagbomen meegenomen) en koppelt "
        "dorpen, adressen en voorzieningen aan de dichtstbijzijnde weg (tot {snap} m; verder "
        "weg telt als niet aan het wegennet). Per soort voorziening geeft één kortste-pad-"
        "berekening vanuit alle voorzieningen tegelijk elk dorp zijn dichtstbijzijnde. "
        "Afstanden staan in km met één decimaal, zoals het CBS ze publiceert; aandelen in "
        "procenten. Onbereikbaar is geen nul en geen maximum: het staat er als "
        "onbereikbaar.",
        "bereik reads the OpenStreetMap extract in one pass, makes a road network per mode "
        "of travel (one-way streets, turn restrictions and barriers respected) and places "
        "villages, addresses and facilities on the nearest road (up to {snap} m; farther "
        "counts as not on the network). Per kind of facility one shortest-path search from "
        "all facilities at once gives every village its nearest. Distances are in km with "
        "one decimal, as CBS publishes them; shares in percent. Unreachable is neither zero "
        "nor a maximum: it says unreachable.",
    ),
    "sources": ("Bronnen", "Sources"),
    "col_source": ("Bron", "Source"),
    "col_file": ("Bestand", "File"),
    "col_date": ("Datum", "Date"),
    "col_licence": ("Licentie", "Licence"),
    "col_sha256": ("SHA-256 (begin)", "SHA-256 (start)"),
    "licence_odbl": (
        "ODbL 1.0, © OpenStreetMap-bijdragers",
        "ODbL 1.0, © OpenStreetMap contributors",
    ),
    "licence_synthetic": (
        "synthetisch voorbeeld, geen echte gegevens",
        "synthetic sample, not real data",
    ),
    "licence_bereik": ("onderdeel van bereik (MIT)", "part of bereik (MIT)"),
    "licence_user": ("zie de leverancier", "see the supplier"),
    "source_extract": ("OpenStreetMap-extract", "OpenStreetMap extract"),
    "source_coverage": ("Breedbanddekking", "Broadband coverage"),
    "source_categories": ("Regels voor de soorten voorzieningen", "Facility category rules"),
    "source_profiles": ("Vervoerswijzen", "Travel profiles"),
    "source_facilities": ("Voorzieningen (eigen bestand)", "Facilities (own file)"),
    "source_villages": ("Dorpen (eigen bestand)", "Villages (own file)"),
    "source_boundaries": ("Gemeentegrenzen", "Municipal boundaries"),
    "source_addresses": ("Adressen", "Addresses"),
    "source_population": ("Bevolkingsraster", "Population grid"),
    "source_area": ("Studiegebied", "Study area"),
    "source_other": ("Invoer {name}", "Input {name}"),
    "parameters": ("Instellingen van de build", "Build parameters"),
    "param_profiles": ("Vervoerswijzen", "Travel profiles"),
    "param_radii": ("Ringen (km)", "Rings (km)"),
    "param_snap": ("Grootste afstand tot de weg (m)", "Largest distance to a road (m)"),
    "param_thresholds": ("Breedbandgrenzen (Mbit/s)", "Broadband thresholds (Mbit/s)"),
    "param_origins": ("Herkomst (adressen)", "Origins (addresses)"),
    "param_crs": ("Metrisch coördinatenstelsel", "Metric coordinate system"),
    "param_key": ("Sleutel van de build", "Build key"),
    "param_libraries": ("Programmatuur", "Software"),
    "no_origins": ("geen (dorpspunten)", "none (village points)"),
    "report_made_by": (
        "Gemaakt met bereik {version}. Alle cijfers komen uit de tabellen van de build "
        "(indicators.csv, municipalities.csv, persons_*.csv, double_disadvantage.csv).",
        "Made with bereik {version}. Every figure comes from the build's tables "
        "(indicators.csv, municipalities.csv, persons_*.csv, double_disadvantage.csv).",
    ),
    "page": ("pagina", "page"),
}

#: travel profiles in both languages (others keep their label)
PROFILE_NAMES: dict[str, tuple[str, str]] = {
    "car": ("met de auto", "by car"),
    "bike": ("met de fiets", "by bike"),
    "walk": ("te voet", "on foot"),
    "cbs": ("met de auto over verharde wegen (CBS)", "by car on paved roads (CBS)"),
}


def check_lang(lang: str) -> int:
    """Return the column of ``lang`` in the tables (0 Dutch, 1 English); ValueError else."""
    if lang not in LANGUAGES:
        msg = f"report language {lang!r} is not available; expected one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    return LANGUAGES.index(lang)


def text(key: str, lang: str, **values: object) -> str:
    """Return the wording of ``key`` in ``lang`` with ``{name}`` placeholders filled."""
    wording = STRINGS[key][check_lang(lang)]
    return wording.format(**values) if values else wording


def category_name(lang: str, *, label: str, label_nl: str | None = None) -> str:
    """Name a facility category in ``lang``.

    The Dutch label, or the English one without its Dutch aside ("GP practice
    (huisartsenpraktijk)" -> "GP practice").
    """
    if check_lang(lang) == 0 and label_nl:
        return label_nl
    return re.sub(r"\s*\([^)]*\)\s*$", "", label) or label


def profile_name(profile: str, lang: str, label: str | None = None) -> str:
    """How a travel profile reads in a sentence ("met de auto", "by car")."""
    if profile in PROFILE_NAMES:
        return PROFILE_NAMES[profile][check_lang(lang)]
    return label or profile


def capitalise(words: str) -> str:
    """First letter upper case, the rest as it is ("huisartsenpraktijk" -> "Huisartsenpraktijk")."""
    return words[:1].upper() + words[1:]


def number(value: float | None, decimals: int, lang: str) -> str:
    """Format a number for ``lang``: ``1.234,5`` (nl) or ``1,234.5`` (en); ``MISSING`` for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    check_lang(lang)
    out = f"{value:,.{decimals}f}"
    if out in {f"-{0:.{decimals}f}", f"-{0:,.{decimals}f}"}:  # -0.0 reads as a change
        out = out[1:]
    if lang == "nl":
        out = out.translate(str.maketrans({",": ".", ".": ","}))
    return out


def km(distance_m: float | None, lang: str) -> str:
    """Metres as km with one decimal (as CBS publishes distances)."""
    if distance_m is None or not math.isfinite(distance_m):
        return MISSING
    return number(round(distance_m / 1000.0, 1), 1, lang)


def percent(share: float | None, lang: str) -> str:
    """Format a share (0..1, 4 decimals as in the tables) as a percentage, 2 decimals."""
    if share is None or not math.isfinite(share):
        return MISSING
    return f"{number(round(share * 100.0, 2), 2, lang)} %"


def parse_number(shown: str, lang: str) -> float:
    """Read back a number :func:`number` (or :func:`percent`) wrote in ``lang``."""
    check_lang(lang)
    s = shown.replace("%", "").strip()
    s = s.replace(".", "").replace(",", ".") if lang == "nl" else s.replace(",", "")
    return float(s)
