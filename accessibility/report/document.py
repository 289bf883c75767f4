"""The report as one self-contained HTML document (inline CSS, images as data URIs).

:func:`report_html` puts the figures (:mod:`~accessibility.report.figures`), maps
(:mod:`~accessibility.report.maps`) and charts (:mod:`~accessibility.report.charts`)
together in the words of :mod:`~accessibility.report.text`. The CSS serves the screen and
print alike: WeasyPrint (:mod:`~accessibility.report.pdf`) lays the same document out as
A4 pages, with page numbers, every section on a new page. Nothing in it points outside the
document: no fonts, style sheets or images to fetch.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from datetime import date
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from accessibility.model import Build
from accessibility.report import charts, figures, maps
from accessibility.report.text import (
    MISSING,
    capitalise,
    km,
    number,
    percent,
    profile_name,
    text,
)

CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-left { content: "{footer}"; font-size: 7.5pt; color: #666; }
  @bottom-right { content: "{page} " counter(page) " / " counter(pages);
                  font-size: 7.5pt; color: #666; } }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
       font-size: 9.5pt; color: #1d1d1d; line-height: 1.4; }
body { max-width: 185mm; margin: 0 auto; padding: 0 4mm; }
h1 { font-size: 24pt; margin: 0 0 2mm; color: #14365d; line-height: 1.15; }
h2 { font-size: 15pt; color: #14365d; border-bottom: 1.5pt solid #14365d; padding-bottom: 1mm;
     margin: 8mm 0 3mm; break-before: page; }
h3 { font-size: 11pt; color: #14365d; margin: 5mm 0 1.5mm; break-after: avoid; }
p { margin: 1.5mm 0 2.5mm; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; color: #5a6f86; font-size: 9pt;
          margin-top: 6mm; }
.subtitle { font-size: 13pt; color: #333; margin: 0 0 6mm; }
.title-page { break-after: page; }
.synthetic { border: 2pt solid #b30000; background: #fdecea; color: #6d0000; padding: 2.5mm 3mm;
             margin: 3mm 0 4mm; }
.synthetic b.label { display: inline-block; background: #b30000; color: white;
                     padding: 0.3mm 2mm; margin-right: 2mm; letter-spacing: 0.06em; }
.note { background: #f2f4f7; border-left: 3pt solid #8a99ab; padding: 2mm 3mm; }
.attribution { font-size: 8pt; color: #555; margin-top: 5mm; }
table { border-collapse: collapse; width: 100%; margin: 1.5mm 0 4mm; font-size: 8.5pt; }
th, td { border-bottom: 0.5pt solid #c9d1da; padding: 1mm 1.5mm; text-align: left;
         vertical-align: top; }
th { background: #e8eef5; font-weight: bold; }
td.n, th.n { text-align: right; }
td.n { white-space: nowrap; }
table.verdicts { font-size: 7.8pt; }
table.verdicts th { font-size: 7.3pt; }
table.verdicts th, table.verdicts td { padding: 0.8mm 1mm; }
tr { break-inside: avoid; }
table.facts { width: auto; }
table.facts th { background: none; font-weight: normal; color: #555; padding-right: 6mm; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
table.pairs td { border: none; padding: 0 1mm; width: 50%; }
table.pairs figure { margin: 1mm 0 3mm; }
figure img { width: 100%; display: block; }
figcaption { font-size: 8.5pt; color: #444; margin-top: 1mm; }
.worse { color: #b30000; font-weight: bold; }
.same { color: #1a6b35; font-weight: bold; }
td .same, td .worse { white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
"""


# --- small HTML helpers ------------------------------------------------------------------------
def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _figure(png: bytes, caption: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<figure{attr}>{_img(png, caption)}<figcaption>{escape(caption)}</figcaption></figure>"


def _table(
    headers: Sequence[str] | None,
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    cls: str = "",
    raw: Sequence[int] = (),
) -> str:
    """Make a table of text cells (escaped but ``raw``); ``numeric`` right-aligned.

    ``headers`` None: a table of label and value rows, without a header.
    """

    def cell(tag: str, i: int, value: str) -> str:
        attr = ' class="n"' if i in numeric else ""
        body = value if i in raw else escape(value)
        return f"<{tag}{attr}>{body}</{tag}>"

    head = ""
    if headers is not None:
        head = "<thead><tr>" + "".join(cell("th", i, h) for i, h in enumerate(headers))
        head += "</tr></thead>"
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    cls_attr = f' class="{cls}"' if cls else ""
    return f"<table{cls_attr}>{head}<tbody>{body}</tbody></table>"


def _p(html_text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{html_text}</p>' if cls else f"<p>{html_text}</p>"


def _integer(value: object, lang: str) -> str:
    v = figures.finite(value)
    return MISSING if v is None else number(round(v), 0, lang)


def _minutes(seconds: object, lang: str) -> str:
    v = figures.finite(seconds)
    return MISSING if v is None else number(round(v / 60.0, 1), 1, lang)


def _css_string(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


class _Report:
    """The state one rendering shares: the build, its scope, the names in the language."""

    def __init__(
        self,
        build: Build,
        *,
        municipality: str | None,
        compare: Build | None,
        lang: str,
        profile: str,
        today: date,
    ) -> None:
        self.build = build
        self.municipality = municipality
        self.compare = compare
        self.lang = lang
        self.profile = profile
        self.today = today
        self.names = figures.category_names(build, lang)
        self.profile_text = profile_name(profile, lang, build.profile_labels.get(profile))
        self.themes = figures.theme_categories(build)
        self.shown = [t.category for t in self.themes if t.shown]
        self.area = figures.area_figures(build, profile=profile, municipality=municipality)
        self.rankings = {
            c: figures.ranking(build, c, profile=profile, municipality=municipality)
            for c in self.shown
        }

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def name(self, category: str) -> str:
        return self.names.get(category, category)

    def km(self, distance_m: object) -> str:
        return km(figures.finite(distance_m), self.lang)


# --- the sections ------------------------------------------------------------------------------
def _title_page(r: _Report) -> str:
    b, m = r.build, r.build.manifest
    subtitle = (
        r.t("subtitle_mun", municipality=escape(r.municipality), build=escape(b.name))
        if r.municipality
        else r.t("subtitle_all", build=escape(b.name))
    )
    extract = Path(str(m.get("inputs", {}).get("extract", {}).get("path", ""))).name
    facts = [
        (r.t("fact_build"), b.name),
        (r.t("fact_extract"), extract or r.t("unknown")),
        (r.t("fact_osm_date"), (m.get("osm_replication_timestamp") or r.t("unknown"))[:10]),
        (r.t("fact_built"), figures.build_day(b) or r.t("unknown")),
        (r.t("fact_report_date"), r.today.isoformat()),
        (r.t("fact_area"), r.municipality or r.t("area_all")),
        (r.t("fact_villages"), _integer(len(figures.villages_in(b, r.municipality)), r.lang)),
        (r.t("fact_profile"), capitalise(r.profile_text)),
    ]
    res = figures.residents(b, profile=r.profile, municipality=r.municipality)
    if res is not None:
        key = "fact_dwellings" if res[1] == "addresses" else "fact_persons"
        facts.insert(7, (r.t(key), _integer(res[0], r.lang)))
    if r.compare is not None:
        facts.append((r.t("fact_compare"), r.compare.name))
    persons = figures.uses_persons(b)
    measured = r.t(
        "measured_text",
        profile=escape(r.profile_text),
        persons_text=r.t("persons_text" if persons else "village_text"),
    )
    parts = [
        f'<section class="title-page"><p class="kicker">{r.t("kicker")}</p>',
        f"<h1>{r.t('title')}</h1>",
        f'<p class="subtitle">{subtitle}</p>',
        _synthetic(r),
        _table(None, facts, cls="facts about"),
        f"<h3>{r.t('measured')}</h3>",
        _p(measured),
        f"<h3>{r.t('in_short')}</h3>",
        _p(
            r.t(
                "in_short_intro",
                profile=escape(r.profile_text),
                over=r.t("over_persons" if persons else "over_villages"),
                r=number(figures.radii_km(b)[-1], 0, r.lang),
            )
        ),
        _in_short(r),
        _p(escape(r.t("attribution")), "attribution"),
        "</section>",
    ]
    return "".join(parts)


def _synthetic(r: _Report) -> str:
    items = figures.synthetic_inputs(r.build)
    if not items:
        return ""
    out = []
    for item in items:
        what = (
            r.t("synthetic_broadband")
            if item == "broadband"
            else r.t("synthetic_input", name=escape(item))
        )
        out.append(
            f'<div class="synthetic"><b class="label">{r.t("synthetic_label")}</b>'
            f"{r.t('synthetic_text', what=what)}</div>"
        )
    return "".join(out)


def _in_short(r: _Report) -> str:
    counts = figures.facility_counts(r.build)
    area = r.area.set_index("category")
    last = f"share_beyond_{figures.radii_km(r.build)[-1]:g}km"
    rows = []
    for t in r.themes:
        if not t.shown:
            rows.append(
                [r.name(t.category), _integer(t.facilities, r.lang), MISSING, MISSING, MISSING]
            )
            continue
        a = area.loc[t.category] if t.category in area.index else None
        top = r.rankings[t.category]
        farthest = MISSING
        if len(top):
            row = top.iloc[0]
            where = (
                r.t("unreachable")
                if row["reason"] in figures.NO_ROUTE
                else f"{r.km(row['distance_m'])} km"
            )
            farthest = f"{row['village_name']} ({where})"
        rows.append(
            [
                r.name(t.category),
                _integer(counts.get(t.category, 0), r.lang),
                r.km(a["mean_distance_m"]) if a is not None else MISSING,
                percent(figures.finite(a[last]), r.lang) if a is not None else MISSING,
                farthest,
            ]
        )
    headers = [
        r.t("col_category"),
        r.t("col_facilities"),
        r.t("col_mean_km"),
        r.t("col_beyond_last", r=number(figures.radii_km(r.build)[-1], 0, r.lang)),
        r.t("col_farthest"),
    ]
    return _table(headers, rows, numeric=(1, 2, 3), cls="in-short")


def _maps(r: _Report) -> str:
    b = r.build
    parts = [
        f'<h2 id="maps">{r.t("maps")}</h2>',
        _p(r.t("maps_intro", profile=escape(r.profile_text))),
    ]
    for t in r.themes:
        if not t.shown:
            key = "none_in_extract" if t.defined else "not_in_build"
            parts.append(
                _p(
                    f"<b>{escape(r.name(t.category))}</b>. "
                    + r.t(key, category=escape(r.name(t.category).lower())),
                    "note",
                )
            )
    if not r.shown:
        return "".join(parts)
    frame = maps.map_frame(b, profile=r.profile, municipality=r.municipality)
    villages = figures.villages_in(b, r.municipality).to_crs(frame.crs)
    rows = figures.village_rows(b, profile=r.profile, municipality=r.municipality)
    x, y = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    population = pd.to_numeric(villages["population"]).to_numpy(dtype=float, na_value=np.nan)
    names = villages["village_name"].astype(str).tolist()
    cls = "map half" if frame.half else "map"
    shown = []
    for cat in r.shown:
        dist = (
            rows[rows["category"] == cat]
            .set_index("village_id")["distance_m"]
            .reindex(villages["village_id"])
            .to_numpy(dtype=float)
        )
        fac = b.facilities[b.facilities["category"] == cat].to_crs(frame.crs)
        png = maps.theme_map(
            frame,
            x=x,
            y=y,
            distance_m=dist,
            population=population,
            names=names,
            facility_x=fac.geometry.x.to_numpy(),
            facility_y=fac.geometry.y.to_numpy(),
            lang=r.lang,
        )
        shown.append(_figure(png, r.t("map_caption", category=r.name(cat)), cls=cls))
    if frame.half:  # two a row: a table row moves to the next page whole, never split
        rows = [
            "<tr>" + "".join(f"<td>{f}</td>" for f in shown[i : i + 2]) + "</tr>"
            for i in range(0, len(shown), 2)
        ]
        shown = [f'<table class="pairs">{"".join(rows)}</table>']
    return "".join(parts + shown)


def _charts(r: _Report) -> str:
    b = r.build
    radii = figures.radii_km(b)
    parts = [f'<h2 id="charts">{r.t("charts")}</h2>']
    if r.shown:
        dists = figures.distributions(b, r.shown, profile=r.profile, municipality=r.municipality)
        over = next(iter(dists.values())).over
        parts += [
            f"<h3>{r.t('distribution')}</h3>",
            _p(r.t(f"distribution_{over}", profile=escape(r.profile_text))),
            _figure(
                charts.distance_distribution(dists, r.names, radii, r.lang), r.t("distribution")
            ),
        ]
    parts += _rings(r, radii)
    parts += _fairness(r)
    parts.append(f'<h3 id="ranking">{r.t("ranking")}</h3>')
    parts.append(_p(r.t("ranking_intro", profile=escape(r.profile_text), n=figures.RANKING_ROWS)))
    if r.shown:
        parts.append(
            _figure(
                charts.ranking_charts({c: r.rankings[c] for c in r.shown}, r.names, r.lang),
                r.t("ranking"),
            )
        )
    for cat in r.shown:
        parts.append(_ranking(r, cat))
    return "".join(parts)


def _rings(r: _Report, radii: Sequence[float]) -> list[str]:
    b = r.build
    cats = figures.categories_with_facilities(b)
    shares = r.area.set_index("category").reindex(cats).reset_index()
    cols = [f"share_beyond_{x:g}km" for x in radii]
    method = r.area["method"].iloc[0] if len(r.area) else "villages"
    parts = [
        f'<h3 id="rings">{r.t("rings")}</h3>',
        _p(r.t(f"rings_{method}", profile=escape(r.profile_text))),
    ]
    themes = shares[shares["category"].isin(r.shown)]
    if len(themes):  # the chart: the theme categories; the table: every one with facilities
        parts.append(_figure(charts.ring_shares(themes, r.names, radii, r.lang), r.t("rings")))
    headers = [
        r.t("col_category"),
        r.t("col_mean_km"),
        *(capitalise(r.t("beyond_ring", r=number(x, 0, r.lang))) for x in radii),
    ]
    rows = [
        [
            r.name(s["category"]),
            r.km(s["mean_distance_m"]),
            *(percent(figures.finite(s[c]), r.lang) for c in cols),
        ]
        for _, s in shares.iterrows()
    ]
    parts.append(_table(headers, rows, numeric=tuple(range(1, 2 + len(radii))), cls="rings"))
    none = [r.name(c).lower() for c in b.categories if figures.facility_counts(b)[c] == 0]
    if none:
        parts.append(_p(escape(r.t("none_categories", names=", ".join(none))), "note"))
    return parts


def _fairness(r: _Report) -> list[str]:
    """How evenly each shown category's distance is spread over persons (Gini, Palma)."""
    if not r.shown:
        return []
    table, unit = figures.fairness(r.build, r.shown, profile=r.profile,
                                   municipality=r.municipality)  # fmt: skip
    units = {"persons": ("inwoners", "residents"), "dwellings": ("woningen", "dwellings")}
    nl, en = units.get(unit, units["persons"])
    headers = [r.t("col_category"), r.t("col_gini"), r.t("col_palma"), r.t("col_tenth_gap_km")]
    rows = [
        [r.name(row.category), number(figures.finite(row.gini), 2, r.lang),
         number(figures.finite(row.palma), 2, r.lang), r.km(row.tenth_gap_m)]
        for row in table.itertuples()
    ]  # fmt: skip
    return [
        f'<h3 id="fairness">{r.t("fairness")}</h3>',
        _p(r.t("fairness_intro", profile=escape(r.profile_text), unit_nl=nl, unit_en=en)),
        _table(headers, rows, numeric=(1, 2, 3), cls="fairness"),
    ]


def _ranking(r: _Report, category: str) -> str:
    rows = r.rankings[category]
    name = r.name(category)
    parts = [f"<h3>{escape(r.t('ranking_caption', category=name))}</h3>"]
    whole = r.municipality is None
    headers = [
        r.t("col_rank"),
        r.t("col_village"),
        *([r.t("col_municipality")] if whole else []),
        r.t("col_population"),
        r.t("col_distance_km"),
        r.t("col_time_min"),
    ]
    table_rows = []
    for i, row in enumerate(rows.head(figures.RANKING_ROWS).itertuples(), start=1):
        reason = row.reason if isinstance(row.reason, str) else ""
        dist = r.t(reason) if reason in figures.NO_ROUTE else r.km(row.distance_m)
        mun = [str(row.municipality) if isinstance(row.municipality, str) else MISSING]
        table_rows.append(
            [
                str(i),
                str(row.village_name),
                *(mun if whole else []),
                _integer(row.population, r.lang),
                dist,
                _minutes(row.travel_time_s, r.lang),
            ]
        )
    n = len(headers)
    parts.append(
        _table(
            headers, table_rows, numeric=(0, n - 3, n - 2, n - 1), cls=f"ranking ranking-{category}"
        )
    )
    return "".join(parts)


def _comparison(r: _Report, other: Build) -> str:
    c = figures.comparison(r.build, other, profile=r.profile, municipality=r.municipality)
    cats = figures.compared_categories(r.build, other)
    persons = c.method == "persons"
    parts = [
        f'<h2 id="compare">{r.t("compare", other=escape(other.name))}</h2>',
        _p(
            r.t(
                "compare_intro",
                profile=escape(r.profile_text),
                other=escape(other.name),
                tol=number(0.5, 1, r.lang),
                method=r.t("compare_method_" + ("persons" if persons else "villages")),
            )
        ),
    ]
    summary = c.summary.set_index("category").reindex(cats)
    headers = [
        r.t("col_category"),
        r.t("col_worse"),
        r.t("col_lost"),
        r.t("col_better"),
        r.t("col_gained"),
        r.t("col_same"),
        r.t("col_pop_worse_" + ("persons" if persons else "villages")),
        r.t("col_max_increase"),
        r.t("col_verdict"),
    ]
    rows = []
    for cat, s in summary.iterrows():
        if pd.isna(s.get("villages")):
            continue
        ok = bool(s["stayed_the_same_or_better"])
        verdict = (
            f'<span class="{"same" if ok else "worse"}">'
            f"{r.t('verdict_same' if ok else 'verdict_worse')}</span>"
        )
        pop_worse = figures.finite(s["population_worse"]) or 0.0
        pop_worse += figures.finite(s["population_lost"]) or 0.0
        inc = figures.finite(s["max_increase_m"])
        rows.append(
            [
                escape(r.name(cat)),
                *(
                    _integer(s[f"villages_{k}"], r.lang)
                    for k in ("worse", "lost", "better", "gained", "same")
                ),
                _integer(pop_worse, r.lang),
                r.km(inc) if inc is not None and inc > 0 else MISSING,
                verdict,
            ]
        )
    parts.append(_table(headers, rows, numeric=(1, 2, 3, 4, 5, 6, 7), cls="verdicts", raw=(0, 8)))
    parts.append(_p(escape(r.t("categories_left_out")), "note"))
    for cat in [t.category for t in r.themes if t.category in cats]:
        ch = c.changes[c.changes["category"] == cat]
        name = r.name(cat)
        if (ch["status"] == "same").all():
            parts.append(_p(escape(r.t("change_unchanged", category=name)), "unchanged"))
            continue
        parts.append(f"<h3>{escape(name)}</h3>")
        parts.append(_figure(charts.change_chart(ch, r.lang), r.t("change_caption", category=name)))
    parts.append(f"<h3>{r.t('worse_villages')}</h3>")
    worse = c.changes[
        c.changes["status"].isin(["worse", "lost"]) & c.changes["category"].isin(cats)
    ]
    if not len(worse):
        parts.append(_p(escape(r.t("no_worse_villages")), "same"))
    else:
        worse = worse.sort_values("distance_m_change", ascending=False, na_position="first")
        headers = [
            r.t("col_village"),
            r.t("col_category"),
            r.t("col_before_km"),
            r.t("col_after_km"),
            r.t("col_change_km"),
            r.t("col_status"),
        ]
        rows = [
            [
                str(w.village_name),
                r.name(w.category),
                r.km(w.distance_m_before),
                r.km(w.distance_m_after),
                r.km(w.distance_m_change),
                r.t(f"status_{w.status}"),
            ]
            for w in worse.head(40).itertuples()
        ]
        parts.append(_table(headers, rows, numeric=(2, 3, 4), cls="worse-villages"))
    return "".join(parts)


_REASON = re.compile(
    r"^\s*(?P<cat>[^:]+):\s*(?:(?P<km>[\d.]+) km > (?P<lim>[\d.]+) km|"
    r"(?P<unreachable>unreachable by car))\s*$"
)


def _reason(r: _Report, reason: str) -> str:
    """``double_disadvantage.csv``'s reason ("gp: 7.2 km > 5 km; ...") in the language."""
    out = []
    for part in str(reason).split(";"):
        m = _REASON.match(part)
        if m is None:
            out.append(part.strip())
        elif m["unreachable"]:
            out.append(r.t("unreachable_by_car", category=r.name(m["cat"])))
        else:
            out.append(
                r.t(
                    "over_limit",
                    category=r.name(m["cat"]),
                    km=number(float(m["km"]), 1, r.lang),
                    limit=number(float(m["lim"]), 0, r.lang),
                )
            )
    return "; ".join(out)


def _double(r: _Report) -> str:
    from broadband.overlay import DEFAULT_REMOTE_KM

    parts = [f'<h2 id="double">{r.t("double")}</h2>']
    dd = figures.double_disadvantage(r.build, r.municipality)
    if dd is None:
        return parts[0] + _p(r.t("double_no_coverage"), "note")
    limits = ", ".join(
        f"{r.name(c).lower()} {number(v, 0, r.lang)} km" for c, v in DEFAULT_REMOTE_KM.items()
    )
    basic, _ = figures.thresholds_mbps(r.build)
    parts.append(_synthetic(r) if r.build.synthetic_coverage else "")
    parts.append(_p(escape(r.t("double_intro", mbps=number(basic, 0, r.lang), limits=limits))))
    if not len(dd):
        parts.append(_p(escape(r.t("double_none")), "note"))
        return "".join(parts)
    headers = [
        r.t("col_rank"),
        r.t("col_village"),
        r.t("col_municipality"),
        r.t("col_population"),
        r.t("col_remote_for"),
        r.t("col_excess_km"),
        r.t("col_max_mbps"),
    ]
    rows = [
        [
            _integer(d.rank, r.lang),
            str(d.village_name),
            str(d.municipality) if isinstance(d.municipality, str) else MISSING,
            _integer(d.population, r.lang),
            _reason(r, d.reason),
            number(figures.finite(d.excess_km), 1, r.lang),
            number(figures.finite(d.max_mbps), 1, r.lang),
        ]
        for d in dd.itertuples()
    ]
    parts.append(_table(headers, rows, numeric=(0, 3, 5, 6), cls="double-disadvantage"))
    return "".join(parts)


def _method(r: _Report) -> str:
    b, m = r.build, r.build.manifest
    params = m.get("parameters", {})
    parts = [
        f'<h2 id="method">{r.t("method")}</h2>',
        _p(
            escape(r.t("method_text", snap=number(float(params.get("max_snap_m", 500)), 0, r.lang)))
        ),
        f"<h3>{r.t('sources')}</h3>",
    ]
    kinds = {
        "extract",
        "coverage",
        "categories",
        "profiles",
        "facilities",
        "villages",
        "boundaries",
        "addresses",
        "population",
        "area",
    }
    rows = []
    for s in figures.sources(b):
        base = re.sub(r"_?\d+$", "", s.kind)  # facilities_1 -> facilities
        what = r.t(f"source_{base}") if base in kinds else r.t("source_other", name=s.kind)
        rows.append([what, s.file, s.date or MISSING, r.t(f"licence_{s.licence}"), s.sha256])
    parts.append(
        _table(
            [
                r.t("col_source"),
                r.t("col_file"),
                r.t("col_date"),
                r.t("col_licence"),
                r.t("col_sha256"),
            ],
            rows,
            cls="sources",
        )
    )
    origins = m.get("origins", {})
    bb = m.get("broadband", {})
    prm = [
        (r.t("param_profiles"), ", ".join(params.get("profiles", b.profiles))),
        (
            r.t("param_radii"),
            ", ".join(number(float(x), 0, r.lang) for x in params.get("radii_km", [])),
        ),
        (r.t("param_snap"), number(float(params.get("max_snap_m", 500)), 0, r.lang)),
        (r.t("param_origins"), str(origins.get("source") or r.t("no_origins"))),
        (r.t("param_crs"), str(m.get("crs", ""))),
        (r.t("param_key"), str(m.get("key", ""))[:16]),
        (r.t("param_libraries"), ", ".join(f"{k} {v}" for k, v in m.get("libraries", {}).items())),
    ]
    if bb:
        prm.insert(
            3,
            (
                r.t("param_thresholds"),
                ", ".join(number(float(x), 0, r.lang) for x in bb.get("thresholds_mbps", [])),
            ),
        )
    parts.append(f"<h3>{r.t('parameters')}</h3>")
    parts.append(_table(None, prm, cls="facts parameters"))
    parts.append(_p(escape(r.t("report_made_by", version=_version()))))
    parts.append(_p(escape(r.t("attribution")), "attribution"))
    return "".join(parts)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bereik")
    except PackageNotFoundError:  # a source tree not installed
        return "(source)"


def report_html(
    build: Build,
    *,
    municipality: str | None,
    compare: Build | None,
    lang: str,
    profile: str,
    today: date,
) -> str:
    """Assemble the whole document (the arguments are checked by the caller)."""
    r = _Report(
        build, municipality=municipality, compare=compare, lang=lang, profile=profile, today=today
    )
    where = municipality or build.name
    footer = _css_string(f"bereik · {r.t('title')} · {where}")
    css = CSS.replace("{footer}", footer).replace("{page}", _css_string(r.t("page")))
    title = f"{r.t('title')} · {where}"
    sections = [_title_page(r), _maps(r), _charts(r)]
    if compare is not None:
        sections.append(_comparison(r, compare))
    sections += [_double(r), _method(r)]
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )
