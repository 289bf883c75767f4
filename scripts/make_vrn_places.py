#!/usr/bin/env python
"""Derive the places of the VRN sample from the feed's own stops (real data, no population).

The Heidelberg extract has no place nodes, so a public transport build of the sample needs
``--villages``. This script takes the VRN feed's ``stops.txt``, reads each stop's town or
district (the part of ``stop_name`` before the comma: ``"Heidelberg, Bismarckplatz"`` ->
``Heidelberg``; the feed's abbreviations ``Neuenh.``, ``Handschuh.`` and
``Schlierbach (HD)`` are spelled out) and places each at the mean of its stops, as the BAG
"postcodetabel" places a Dutch woonplaats at the mean of its addresses. Population is left
empty (the feed has none): figures are then unweighted.

Usage::

    python scripts/make_vrn_places.py data/samples/vrn-rhein-neckar-2022-cut.gtfs.zip \\
        data/samples/vrn-places-2022.csv
"""

from __future__ import annotations

import argparse
import io
import zipfile

import pandas as pd

SPELLED_OUT = {"Neuenh.": "Neuenheim", "Handschuh.": "Handschuhsheim",
               "Schlierbach (HD)": "Schlierbach"}  # fmt: skip


def places(feed_zip: str) -> pd.DataFrame:
    """One row per town or district of the feed's stops: id, name, population, lon, lat."""
    with zipfile.ZipFile(feed_zip) as z:
        stops = pd.read_csv(io.BytesIO(z.read("stops.txt")), dtype={"location_type": str})
    stops = stops[stops["location_type"].fillna("0").isin(["", "0"])]
    town = stops["stop_name"].str.split(",").str[0].str.strip().replace(SPELLED_OUT)
    g = stops.assign(name=town).groupby("name", sort=True)
    out = g.agg(lon=("stop_lon", "mean"), lat=("stop_lat", "mean"), stops=("stop_id", "size"))
    out = out.reset_index()
    out.insert(0, "id", "vrn-place/" + out["name"].str.lower().str.replace(" ", "-"))
    out.insert(2, "population", "")
    out["lon"] = out["lon"].round(6)
    out["lat"] = out["lat"].round(6)
    return out


def main() -> None:
    """Write the places CSV."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("feed", help="the VRN GTFS zip")
    ap.add_argument("out", help="the CSV to write")
    args = ap.parse_args()
    df = places(args.feed)
    df.to_csv(args.out, index=False)
    print(f"{len(df)} places -> {args.out}")


if __name__ == "__main__":
    main()
