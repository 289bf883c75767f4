"""The council report (issue 11): its figures against the build's own tables, both
languages, self-contained HTML, one municipality, a comparison, the PDF."""

from __future__ import annotations

import dataclasses
import re
import zlib
from datetime import date
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from accessibility.errors import UnknownMunicipalityError
from accessibility.report import municipalities_of, render_pdf, render_report
from accessibility.report.figures import area_figures, category_names, theme_categories
from accessibility.report.pdf import weasyprint_missing
from accessibility.report.text import MISSING, number, parse_number, percent

TODAY = date(2026, 3, 1)


class _Tables(HTMLParser):
    """Every <table> of a document: its class and its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._stack: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append([])
            self.tables.append((dict(attrs).get("class", ""), self._stack[-1]))
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in {"td", "th"} and self._stack:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._stack:
            self._stack.pop()
        elif tag in {"td", "th"} and self._cell is not None and self._stack:
            self._stack[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str, cls: str) -> list[list[list[str]]]:
    """The tables whose class list has ``cls``: rows (header first) of cell texts."""
    p = _Tables()
    p.feed(html)
    return [rows for c, rows in p.tables if cls in c.split()]


def table(html: str, cls: str) -> list[list[str]]:
    found = tables(html, cls)
    assert len(found) == 1, (cls, len(found))
    return found[0]


@pytest.fixture(scope="module")
def nl_html(demo_build) -> str:
    return render_report(demo_build, today=TODAY)


@pytest.fixture(scope="module")
def en_compare_html(demo_build) -> str:
    """English, one municipality, compared with itself."""
    return render_report(demo_build, municipality="triesenberg", compare=demo_build, lang="en",
                         today=TODAY)  # fmt: skip


def _car(build) -> pd.DataFrame:
    ind = build.indicators
    return ind[ind["profile"] == "car"]


def _shown(build) -> list[str]:
    return [t.category for t in theme_categories(build) if t.shown]


def test_ranking_tables_match_the_indicators(demo_build, nl_html):
    names = category_names(demo_build, "nl")
    car = _car(demo_build)
    shown = _shown(demo_build)
    assert "supermarket" in shown and "gp" not in shown  # the sample has no GP
    for cat in shown:
        rows = table(nl_html, f"ranking-{cat}")
        header, first = rows[0], rows[1]
        assert header[:2] == ["Nr.", "Dorp"]
        sub = car[(car["category"] == cat) & (car["reason"].fillna("") != "no_facility")]
        assert not sub["reason"].isin(["unreachable", "not_on_network"]).any()
        top = sub.loc[sub["distance_m"].idxmax()]
        assert first[1] == top["village_name"], names[cat]
        assert parse_number(first[4], "nl") == pytest.approx(top["distance_m"] / 1000, abs=0.051)
        distances = [parse_number(r[4], "nl") for r in rows[1:]]
        assert distances == sorted(distances, reverse=True)
        assert len(rows) - 1 == min(10, len(sub))


def test_ring_shares_match_the_persons_tables(demo_build, nl_html, en_compare_html):
    radii = ("1", "3", "5")
    pm = pd.read_csv(demo_build.path / "persons_municipalities.csv")
    pm = pm[pm["profile"] == "car"].set_index(["municipality", "category"])
    names_nl, names_en = category_names(demo_build, "nl"), category_names(demo_build, "en")
    # one municipality: the rows of persons_municipalities.csv as they are
    shown = {r[0]: r for r in table(en_compare_html, "rings")[1:]}
    assert shown, "no ring table"
    for cat, name in names_en.items():
        if name not in shown:
            continue
        row = pm.loc[("Triesenberg", cat)]
        for i, r in enumerate(radii):
            assert shown[name][2 + i] == percent(row[f"share_beyond_{r}km"], "en"), (cat, r)
        assert shown[name][1] == f"{row['mean_distance_m'] / 1000:.1f}"
    # the whole build: every municipality's figure weighted by its persons
    whole = {r[0]: r for r in table(nl_html, "rings")[1:]}
    for cat, name in names_nl.items():
        if name not in whole:
            continue
        g = pm.xs(cat, level="category")
        for i, r in enumerate(radii):
            share = np.average(g[f"share_beyond_{r}km"], weights=g["weight"])
            assert parse_number(whole[name][2 + i], "nl") == pytest.approx(share * 100, abs=0.006)


def test_fairness_table_matches_the_stored_distances(demo_build, nl_html, en_compare_html):
    """Gini and tenth gap recomputed from addresses.parquet's stored car distances."""
    from accessibility.fairness import tenth_gap, weighted_gini

    names = category_names(demo_build, "nl")
    o = demo_build.origins
    rows = {r[0]: r for r in table(nl_html, "fairness")[1:]}
    assert set(rows) == {names[c] for c in _shown(demo_build)}
    for cat in _shown(demo_build):
        d = o[f"{cat}_distance_m"].to_numpy(dtype=float)
        w = o["weight"].to_numpy(dtype=float)
        ok = np.isfinite(d)
        row = rows[names[cat]]
        assert parse_number(row[1], "nl") == pytest.approx(weighted_gini(d[ok], w[ok]), abs=0.006)
        gap_km = tenth_gap(d[ok], w[ok]) / 1000
        assert parse_number(row[3], "nl") == pytest.approx(gap_km, abs=0.051)
    # one municipality: its own persons only
    one = {r[0]: r for r in table(en_compare_html, "fairness")[1:]}
    assert one and one != rows


def test_ring_shares_match_the_municipality_table_without_origins(demo_build):
    """A build without origins: the villages' figures of municipalities.csv."""
    bare = dataclasses.replace(demo_build, persons_villages=None, persons_municipalities=None,
                               origins=None)  # fmt: skip
    mun = pd.read_csv(demo_build.path / "municipalities.csv")
    mun = mun[(mun["profile"] == "car") & (mun["municipality"] == "Triesenberg")]
    fig = area_figures(bare, profile="car", municipality="Triesenberg")
    assert set(fig["method"]) == {"villages"}
    got = fig.set_index("category")
    for row in mun.itertuples():
        for r in ("1", "3", "5"):
            assert got.loc[row.category, f"share_beyond_{r}km"] == pytest.approx(
                getattr(row, f"share_beyond_{r}km"), abs=1e-4, nan_ok=True
            )
    html = render_report(bare, municipality="Triesenberg", lang="en", today=TODAY)
    assert "Share of the villages' population" in html
    names = category_names(demo_build, "en")
    shown = {r[0]: r for r in table(html, "rings")[1:]}
    sm = mun.set_index("category").loc["supermarket"]
    assert shown[names["supermarket"]][4] == percent(sm["share_beyond_5km"], "en")


def test_double_disadvantage_rows_match_the_table(demo_build, nl_html):
    dd = pd.read_csv(demo_build.path / "double_disadvantage.csv").sort_values("rank")
    rows = table(nl_html, "double-disadvantage")[1:]
    assert len(rows) == len(dd) > 0
    for shown, d in zip(rows, dd.itertuples(), strict=True):
        assert shown[0] == str(d.rank)
        assert shown[1] == d.village_name
        assert shown[2] == d.municipality
        assert parse_number(shown[5], "nl") == pytest.approx(d.excess_km, abs=0.051)
        assert parse_number(shown[6], "nl") == pytest.approx(d.max_mbps, abs=0.051)
        assert "supermarkt" in shown[4].lower()  # the reason, in Dutch


def test_in_short_and_missing_categories(demo_build, nl_html):
    rows = {r[0]: r for r in table(nl_html, "in-short")[1:]}
    assert rows["Huisartsenpraktijk"][1:] == ["0", MISSING, MISSING, MISSING]
    assert rows["Basisschool"][1] == "0"
    assert "Het extract bevat geen enkele voorziening van de soort huisartsenpraktijk" in nl_html
    assert not tables(nl_html, "ranking-gp")
    n = int((demo_build.facilities["category"] == "supermarket").sum())
    assert rows["Supermarkt"][1] == str(n)


def test_both_languages(nl_html, en_compare_html):
    assert nl_html.startswith("<!DOCTYPE html>") and '<html lang="nl">' in nl_html
    for heading in ("Kaarten per voorziening", "Werkwijze en bronnen", "Dubbele achterstand"):
        assert heading in nl_html and heading not in en_compare_html
    assert '<html lang="en">' in en_compare_html
    for heading in ("Maps by facility", "Method and data sources", "Double disadvantage"):
        assert heading in en_compare_html and heading not in nl_html
    assert "SYNTHETISCH" in nl_html and "SYNTHETIC" in en_compare_html  # the coverage
    assert "© OpenStreetMap" in nl_html and "© OpenStreetMap" in en_compare_html
    # Dutch numbers have a decimal comma, English a point
    assert re.search(r">\d+,\d %<", nl_html) is None  # shares have two decimals
    assert re.search(r">\d+,\d\d %<", nl_html) and re.search(r">\d+\.\d\d %<", en_compare_html)
    assert number(1234.5, 1, "nl") == "1.234,5" and number(1234.5, 1, "en") == "1,234.5"


def test_self_contained(nl_html, en_compare_html):
    for html in (nl_html, en_compare_html):
        imgs = re.findall(r"<img [^>]*src=\"([^\"]*)\"", html)
        assert len(imgs) >= 4
        assert all(s.startswith("data:image/png;base64,") for s in imgs)
        assert "http://" not in html and "https://" not in html
        assert "<script" not in html and "<link" not in html
        assert "url(" not in html and "@import" not in html and "@font-face" not in html


def test_municipality_limits_the_villages(demo_build, en_compare_html):
    own = set(demo_build.villages.loc[demo_build.villages["municipality"] == "Triesenberg",
                                      "village_name"])  # fmt: skip
    assert own and len(own) < len(demo_build.villages)
    for cat in _shown(demo_build):
        rows = table(en_compare_html, f"ranking-{cat}")
        assert rows[0][2] == "Population"  # no municipality column for one municipality
        assert {r[1] for r in rows[1:]} <= own
    facts = dict(table(en_compare_html, "about"))
    assert facts["Area"] == "Triesenberg" and facts["Villages"] == str(len(own))
    assert "Municipality of Triesenberg" in en_compare_html
    assert sorted(municipalities_of(demo_build))[0] == "Balzers"
    with pytest.raises(UnknownMunicipalityError, match=r"Nowhere.*expected one of.*Triesenberg"):
        render_report(demo_build, municipality="Nowhere")


def test_compare_with_itself_is_unchanged(demo_build, en_compare_html):
    rows = table(en_compare_html, "verdicts")
    assert rows[0][-1] == "Verdict" and len(rows) > 1
    for r in rows[1:]:
        assert r[-1] == "at least the same", r
        assert r[1] == r[2] == r[3] == r[4] == "0"  # farther, lost, closer, gained
    names = category_names(demo_build, "en")
    for cat in _shown(demo_build):
        assert f"{names[cat]}: unchanged in every village." in en_compare_html
    assert "No village got farther from any facility." in en_compare_html


def _pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF (WeasyPrint compresses its objects: look in every stream too)."""
    texts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page\b", t)) for t in texts)


@pytest.mark.skipif(weasyprint_missing() is not None, reason=f"{weasyprint_missing()}")
def test_pdf_has_several_pages(nl_html):
    pdf = render_pdf(nl_html)
    assert pdf.startswith(b"%PDF")
    assert _pdf_pages(pdf) > 1


def test_cli_report(demo_build, tmp_path, capsys):
    from app.cli import main as cli_main

    out = tmp_path / "new" / "rapport.html"
    assert cli_main(["report", str(demo_build.path), "--municipality", "vaduz", "--output",
                     str(out)]) == 0  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert "Gemeente Vaduz" in html and '<html lang="nl">' in html
    assert [p.name for p in out.parent.iterdir()] == ["rapport.html"]  # no temporary file left
    assert "wrote" in capsys.readouterr().out
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    cases = {
        "unknown municipality 'Nowhere'": ["--municipality", "Nowhere", "--output",
                                           str(tmp_path / "x.html")],
        "is not a folder": ["--output", str(a_file / "x.pdf")],
        "must end in .html or .pdf": ["--output", str(tmp_path / "x.docx")],
    }  # fmt: skip
    for message, extra in cases.items():
        assert cli_main(["report", str(demo_build.path), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert cli_main(["report", str(tmp_path / "missing"), "--output", str(out)]) == 2
    assert "no build at" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
