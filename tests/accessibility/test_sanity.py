"""Nonsense refused before it replaces a good build (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

from accessibility.errors import InputFileError
from accessibility.sanity import check_inside, check_some, check_villages_on_network

LIECHTENSTEIN_BOUNDS = (9.471, 47.045, 9.640, 47.279)


def test_points_inside_or_partly_inside_pass():
    check_inside("f.csv", [9.52, 5.0], [47.14, 52.0], LIECHTENSTEIN_BOUNDS, what="facilities",
                 crs_option="--facilities-crs")  # fmt: skip


def test_swapped_axes_are_named():
    with pytest.raises(InputFileError, match=r"none of its 2 villages lies inside the extract.*"
                       r"lon and lat look swapped"):  # fmt: skip
        check_inside("v.csv", [47.14, 47.16], [9.52, 9.51], LIECHTENSTEIN_BOUNDS,
                     what="villages", crs_option="--villages-crs")  # fmt: skip


def test_another_crs_is_suspected():
    with pytest.raises(InputFileError, match=r"another CRS\? give it with --facilities-crs"):
        check_inside("f.csv", [2.35], [48.85], LIECHTENSTEIN_BOUNDS, what="facilities",
                     crs_option="--facilities-crs")  # fmt: skip


def test_no_coordinates_at_all_is_left_to_the_readers():
    check_inside("f.csv", [np.nan], [np.nan], LIECHTENSTEIN_BOUNDS, what="facilities",
                 crs_option="--facilities-crs")  # fmt: skip


def test_an_empty_file_and_villages_off_every_road():
    with pytest.raises(InputFileError, match="yields no facility"):
        check_some("f.csv", 0, what="facility")
    check_some("f.csv", 1, what="facility")
    with pytest.raises(InputFileError, match="not one of the 2 villages lies within the snap"):
        check_villages_on_network(np.array(["not_on_network"] * 6), 2, "v.csv")
    check_villages_on_network(np.array(["not_on_network", None]), 2, "v.csv")


def test_a_swapped_villages_file_keeps_the_good_build(tmp_path, capsys):
    from app.cli import main
    from tests.conftest import LIECHTENSTEIN

    out = tmp_path / "b"
    base = ["build", str(LIECHTENSTEIN), "--out", str(out), "--quiet", "--profiles", "car",
            "--no-origins", "--no-coverage"]  # fmt: skip
    assert main(base) == 0
    before = (out / "manifest.json").read_text()
    villages = tmp_path / "kernen.csv"
    villages.write_text("id,name,population,lon,lat\nv1,Vaduz,5000,47.14,9.52\n")
    assert main([*base, "--villages", str(villages)]) == 2
    err = capsys.readouterr().err
    assert "lon and lat look swapped" in err and "Traceback" not in err
    assert (out / "manifest.json").read_text() == before
