"""Charts of the report (matplotlib's object API on an Agg canvas, PNG bytes).

Each function takes the figures of :mod:`accessibility.report.figures` and the language,
and returns a PNG: the distribution of distances (cumulative, over residents or villages),
the share beyond each CBS ring per category, the farthest villages of a category, and the
change per village against another build. Axis numbers follow the language (decimal comma
in Dutch).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from accessibility.qgis_style import NO_DATA_COLOUR
from accessibility.report.figures import NO_ROUTE, Distribution
from accessibility.report.maps import class_colours
from accessibility.report.text import number, text

DPI = 150
WIDTH_IN = 7.0
#: villages in a ranking (per category) or change chart
BARS = 10
_WORSE, _BETTER = "#d73027", "#1a9850"
_RING_COLOURS = ("#fdd49e", "#fc8d59", "#b30000")
_LINE_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _figure(height_in: float):
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig: Figure, *, tight: bool = True) -> bytes:
    """PNG bytes; ``tight``: cropped to what is drawn (one more layout pass)."""
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=DPI,
        bbox_inches="tight" if tight else None,
        pad_inches=0.08,
        metadata={"Software": None},
    )
    fig.clear()
    return buf.getvalue()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7.5)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _numbers(lang: str, decimals: int = 0, suffix: str = "") -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: f"{number(v, decimals, lang)}{suffix}")


def distance_distribution(
    dists: Mapping[str, Distribution],
    names: Mapping[str, str],
    radii_km: Sequence[float],
    lang: str,
) -> bytes:
    """Cumulative share within each distance, one line per category (weighted)."""
    fig, ax = _figure(3.6)
    over = "villages"
    top_km = 1.0
    for i, (cat, d) in enumerate(dists.items()):
        over = d.over
        ok = np.isfinite(d.distance_m)
        total = d.weight.sum()
        if not ok.any() or total <= 0:
            continue
        order = np.argsort(d.distance_m[ok], kind="stable")
        km = d.distance_m[ok][order] / 1000.0
        share = np.cumsum(d.weight[ok][order]) / total
        top_km = max(top_km, float(np.quantile(km, 0.98)))
        ax.step(
            np.r_[0.0, km],
            np.r_[0.0, share],
            where="post",
            linewidth=1.6,
            color=_LINE_COLOURS[i % len(_LINE_COLOURS)],
            label=names[cat],
        )
    for r in radii_km:
        ax.axvline(r, color="#555555", linestyle=":", linewidth=0.9)
    ax.set_xlim(0, math.ceil(top_km * 1.05))
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(_numbers(lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{number(v * 100, 0, lang)} %"))
    ax.set_xlabel(text("axis_distance_km", lang), fontsize=8)
    ax.set_ylabel(text(f"axis_share_within_{over}", lang), fontsize=8)
    _style(ax)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    return _png(fig)


def ring_shares(
    shares: pd.DataFrame, names: Mapping[str, str], radii_km: Sequence[float], lang: str
) -> bytes:
    """Horizontal bars: per category the share beyond each ring (the table's figures)."""
    n = len(shares)
    fig, ax = _figure(max(2.2, 0.32 * n * len(radii_km) / 3 + 0.9))
    y = np.arange(n)
    h = 0.8 / len(radii_km)
    for j, r in enumerate(radii_km):
        vals = shares[f"share_beyond_{r:g}km"].to_numpy(dtype=float) * 100.0
        ax.barh(
            y - 0.4 + h * (j + 0.5),
            np.nan_to_num(vals),
            height=h,
            color=_RING_COLOURS[j % len(_RING_COLOURS)],
            label=text("beyond_ring", lang, r=number(r, 0, lang)),
        )
    ax.set_yticks(y, [names[c] for c in shares["category"]])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{number(v, 0, lang)} %"))
    ax.set_xlabel(text("axis_share_beyond", lang), fontsize=8)
    _style(ax)
    ax.legend(fontsize=7, loc="lower right", frameon=True, framealpha=0.9)
    return _png(fig)


def ranking_charts(
    rankings: Mapping[str, pd.DataFrame], names: Mapping[str, str], lang: str
) -> bytes:
    """Draw the farthest villages of each category (small multiples, two a row).

    Bars in the maps' distance colours; no route is a grey bar the width of the farthest.
    """
    cats = list(rankings)
    n_rows = math.ceil(len(cats) / 2)
    fig = Figure(figsize=(WIDTH_IN, 2.5 * n_rows), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, 2, squeeze=False)
    for ax, cat in zip(axes.flat, cats, strict=False):
        _ranking_bars(ax, rankings[cat].head(BARS), lang)
        ax.set_title(names[cat], fontsize=8.5, loc="left", fontweight="bold")
    for ax in axes.flat[len(cats) :]:
        ax.set_visible(False)
    fig.subplots_adjust(
        left=0.16, right=0.98, top=1 - 0.25 / n_rows, bottom=0.35 / n_rows, wspace=0.55, hspace=0.45
    )
    return _png(fig, tight=False)


def _ranking_bars(ax, rows: pd.DataFrame, lang: str) -> None:
    d = rows["distance_m"].to_numpy(dtype=float)
    no_route = rows["reason"].isin(NO_ROUTE).to_numpy()
    km = np.where(no_route, np.nan, d / 1000.0)
    top = np.nanmax(km) if np.isfinite(km).any() else 1.0
    shown = np.where(no_route, top, np.nan_to_num(km))
    colours = [
        NO_DATA_COLOUR if nr else c for nr, c in zip(no_route, class_colours(d), strict=True)
    ]
    y = np.arange(len(rows))
    ax.barh(y, shown, color=colours, edgecolor="#333333", linewidth=0.4)
    for yi, v, nr in zip(y, shown, no_route, strict=True):
        label = text("unreachable", lang) if nr else number(round(v, 1), 1, lang)
        ax.text(v + top * 0.015, yi, label, va="center", fontsize=6)
    ax.set_yticks(y, rows["village_name"].astype(str).tolist())
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.22)
    ax.xaxis.set_major_formatter(_numbers(lang))
    ax.set_xlabel(text("axis_distance_km", lang), fontsize=7)
    _style(ax)
    ax.tick_params(labelsize=6.5)


def change_chart(changes: pd.DataFrame, lang: str) -> bytes:
    """Draw the villages whose distance changed most (red farther, green closer), in km."""
    ch = changes[changes["status"] != "same"].copy()
    lost_or_gained = ch["status"].isin(["lost", "gained"]).to_numpy()
    delta = ch["distance_m_change"].to_numpy(dtype=float) / 1000.0
    big = np.nanmax(np.abs(delta)) if np.isfinite(delta).any() else 1.0
    delta = np.where(lost_or_gained, np.where(ch["status"] == "lost", big, -big), delta)
    ch["_km"] = delta
    ch = ch.reindex(ch["_km"].abs().sort_values(ascending=False, kind="stable").index)
    ch = ch.head(BARS)
    fig, ax = _figure(max(1.6, 0.24 * len(ch) + 0.7))
    y = np.arange(len(ch))
    vals = ch["_km"].to_numpy(dtype=float)
    ax.barh(
        y,
        vals,
        color=[_WORSE if v > 0 else _BETTER for v in vals],
        edgecolor="#333333",
        linewidth=0.4,
    )
    for yi, v, st in zip(y, vals, ch["status"], strict=True):
        label = (
            text(f"status_{st}", lang)
            if st in {"lost", "gained"}
            else (f"{'+' if v > 0 else ''}{number(round(v, 1), 1, lang)}")
        )
        ax.text(v, yi, f" {label} ", va="center", ha="left" if v > 0 else "right", fontsize=7)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, ch["village_name"].astype(str).tolist())
    ax.invert_yaxis()
    lim = max(abs(vals).max() if len(vals) else 1.0, 0.1) * 1.35
    ax.set_xlim(-lim, lim)
    ax.xaxis.set_major_formatter(_numbers(lang, 1))
    ax.set_xlabel(text("axis_change_km", lang), fontsize=8)
    _style(ax)
    return _png(fig)
