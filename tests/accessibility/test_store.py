"""Builds that lose nothing (issue 14): the atomic swap, the lock, verified files."""

from __future__ import annotations

import json
import os

import pytest

from accessibility import store
from accessibility.errors import BuildNotFoundError
from accessibility.store import (
    AtomicBuildDir,
    BuildLock,
    BuildLockedError,
    check_files,
    damaged_files,
    exchange,
    file_list,
    is_up_to_date,
    read_manifest,
    recover,
)


def _write_build(folder, key: str, text: str) -> None:
    (folder / "table.csv").write_text(text)
    manifest = {"key": key, "files": file_list(folder)}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _build(target, key: str, text: str) -> None:
    with BuildLock(target), AtomicBuildDir(target) as tmp:
        _write_build(tmp, key, text)


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("from a")
    (b / "x").write_text("from b")
    if not exchange(a, b):
        pytest.skip("this file system has no renameat2(RENAME_EXCHANGE)")
    assert (a / "x").read_text() == "from b" and (b / "x").read_text() == "from a"


def test_a_new_build_replaces_the_old_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "demo"
    _build(target, "k1", "old")
    _build(target, "k2", "new")
    assert read_manifest(target)["key"] == "k2" and (target / "table.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".demo.bereik-lock", "demo"]


def test_a_failed_build_keeps_the_last_good_one(tmp_path):
    target = tmp_path / "demo"
    _build(target, "k1", "good")
    with pytest.raises(RuntimeError), BuildLock(target), AtomicBuildDir(target) as tmp:
        (tmp / "table.csv").write_text("half")
        raise RuntimeError
    assert (target / "table.csv").read_text() == "good"
    assert not list(tmp_path.glob(".bereik-tmp-*"))


def test_a_kill_between_the_two_renames_of_the_fallback_is_undone(tmp_path, monkeypatch):
    """Without RENAME_EXCHANGE the swap is two renames; a kill between them is recovered."""
    target = tmp_path / "demo"
    _build(target, "k1", "good")
    monkeypatch.setattr(store, "exchange", lambda a, b: False)
    real_rename = type(target).rename
    calls = []

    def rename_then_die(self, dest):
        calls.append(self.name)
        if len(calls) == 2:  # the new folder into place: the process is killed first
            raise KeyboardInterrupt
        return real_rename(self, dest)

    monkeypatch.setattr(type(target), "rename", rename_then_die)
    with pytest.raises(KeyboardInterrupt), AtomicBuildDir(target) as tmp:
        _write_build(tmp, "k2", "new")
    monkeypatch.setattr(type(target), "rename", real_rename)
    assert not target.exists()  # cut between the renames
    recover(target)  # load_build and the next build do this
    assert read_manifest(target)["key"] == "k1" and (target / "table.csv").read_text() == "good"


def test_the_swap_in_one_step_never_leaves_the_target_missing(tmp_path, monkeypatch):
    target = tmp_path / "demo"
    _build(target, "k1", "good")
    seen = []
    real = store.exchange

    def watch(a, b):
        seen.append(target.exists())
        done = real(a, b)
        seen.append(target.exists())
        return done

    monkeypatch.setattr(store, "exchange", watch)
    _build(target, "k2", "new")
    assert seen == [True, True]  # exchanged in one step: there is no moment without it
    assert read_manifest(target)["key"] == "k2"


def test_two_builds_of_one_name_cannot_race(tmp_path):
    target = tmp_path / "demo"
    with BuildLock(target):
        with pytest.raises(
            BuildLockedError,
            match=rf"another `bereik build` is writing .*demo \(pid {os.getpid()}\)",
        ):
            BuildLock(target).__enter__()
        with BuildLock(tmp_path / "other"):  # another name is free
            pass
    with BuildLock(target):  # released
        pass


def test_stale_temporary_folders_are_cleaned_by_the_next_build(tmp_path):
    target = tmp_path / "demo"
    stale = tmp_path / ".bereik-tmp-demo-999999"
    stale.mkdir()
    (stale / "half.parquet").write_bytes(b"x" * 100)
    _build(target, "k1", "good")
    assert not stale.exists()


def test_a_damaged_build_is_found(tmp_path):
    target = tmp_path / "demo"
    _build(target, "k1", "good data")
    manifest = read_manifest(target)
    assert is_up_to_date(target, "k1") and not damaged_files(target, manifest)
    (target / "table.csv").write_text("bad data!")  # same size, other bytes
    assert is_up_to_date(target, "k1")  # sizes only
    assert not is_up_to_date(target, "k1", verify=True)
    assert damaged_files(target, manifest, hashes=True) == [
        "table.csv differs from the manifest (SHA-256)"
    ]
    (target / "table.csv").write_text("cut")
    assert not is_up_to_date(target, "k1")
    with pytest.raises(
        BuildNotFoundError, match=r"damaged build: table\.csv has 3 bytes, the manifest says 9"
    ):
        check_files(target, manifest)
    (target / "table.csv").unlink()
    with pytest.raises(BuildNotFoundError, match=r"table\.csv is missing"):
        check_files(target, manifest)


def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys):
    from app.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["build", "--out", str(blocker / "b"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "is not a writable folder" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_damaged_real_build_is_refused_then_rebuilt(tmp_path, capsys):
    from accessibility.build import run_build
    from accessibility.model import load_build
    from accessibility.params import BuildParams
    from tests.conftest import LIECHTENSTEIN

    params = BuildParams(extract=LIECHTENSTEIN, profiles=("car",), origins=False)
    out = tmp_path / "b"
    run_build(params, out)
    net = out / "network_car.npz"
    size = net.stat().st_size
    net.write_bytes(net.read_bytes()[:1000])
    with pytest.raises(
        BuildNotFoundError, match=f"network_car.npz has 1,000 bytes, the manifest says {size:,}"
    ):
        load_build(out)
    again = run_build(params, out)
    assert not again.up_to_date and net.stat().st_size == size
    assert load_build(out).profiles == ["car"]


def test_a_nearly_full_disk_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import shutil as sh
    from collections import namedtuple

    from app import cli

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(sh, "disk_usage", lambda p: usage(10**9, 10**9 - 50_000_000, 50_000_000))
    assert cli.main(["build", "--out", str(tmp_path / "b"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "only 50 MB free on that disk (at least 200 MB needed)" in err
    assert not (tmp_path / "b").exists()
