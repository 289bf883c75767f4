"""GeoJSON writing: plain rows (the isochrones' fast path) as a frame would be written."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from app.geojson import features, row_features


def test_row_features_write_what_a_frame_writes():
    poly = shapely.Polygon([(9.5, 47.1), (9.6, 47.1), (9.6, 47.2)])  # clockwise: reoriented
    rows = [{"contour": 5.0, "area_m2": 1234.56, "population": 10.4, "minutes": None,
             "unit": "minutes", "snap_distance_m": 3.14159}]  # fmt: skip
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[poly], crs="EPSG:4326")
    assert row_features(rows, [poly]) == features(gdf)
