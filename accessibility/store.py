"""Builds as cached, immutable artifacts: one folder per build, written atomically.

A build folder holds ``manifest.json`` (inputs with hashes, parameters, OSM timestamp,
counts, library versions, created), the tables (CSV and Parquet), the networks (``.npz``)
and ``bereik.gpkg`` for QGIS (:class:`accessibility.layout.BuildLayout` names them). It is
written to a temporary sibling folder and renamed into
place, so a killed build leaves the last good one. The cache key is a SHA-256 of the input
bytes, the parameters, the schema version and the library versions (r5py style).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from accessibility.defaults import DEFAULT_BUILDS_DIR
from accessibility.errors import BuildNotFoundError
from accessibility.layout import MANIFEST, BuildLayout

SCHEMA_VERSION = 1
KEY_LIBRARIES = (
    "bereik",
    "numpy",
    "scipy",
    "pandas",
    "shapely",
    "pyproj",
    "osmium",
    "geopandas",
    "pyogrio",
)


def file_sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (streamed)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while b := fh.read(chunk):
            h.update(b)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape a build's results."""
    out = {}
    for lib in KEY_LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def code_fingerprint() -> str:
    """SHA-256 of the engine's own source (a changed profile or rule means a new build)."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for pkg in ("accessibility", "broadband"):
        for f in sorted((root / pkg).glob("*.py")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def build_key(inputs: dict[str, str], parameters: dict[str, Any]) -> str:
    """Cache key: SHA-256 over input hashes, parameters, schema, library and code versions."""
    payload = {
        "inputs": inputs,
        "parameters": parameters,
        "schema_version": SCHEMA_VERSION,
        "libraries": library_versions(),
        "code": code_fingerprint(),
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def read_manifest(build_dir: str | Path) -> dict[str, Any]:
    """Read a build's manifest; BuildNotFoundError when the folder is not a build."""
    p = Path(build_dir)
    m = BuildLayout(p).manifest
    if not m.is_file():
        msg = f"{p}: not a bereik build (no {MANIFEST}); run `bereik build` first"
        raise BuildNotFoundError(msg)
    try:
        return json.loads(m.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"{m}: damaged manifest ({exc}); rebuild with `bereik build --force`"
        raise BuildNotFoundError(msg) from exc


def is_up_to_date(build_dir: str | Path, key: str) -> bool:
    """Tell whether ``build_dir`` holds a complete build with this cache key."""
    try:
        return read_manifest(build_dir).get("key") == key
    except BuildNotFoundError:
        return False


@dataclass
class AtomicBuildDir:
    """Context manager: a temporary folder that replaces ``target`` on success.

    On error (or kill) the temporary folder is removed (or left as ``.bereik-tmp-*``, which
    is ignored) and ``target`` keeps its last good content.
    """

    target: Path

    def __enter__(self) -> Path:
        self.target = Path(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.parent / f".bereik-tmp-{self.target.name}-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = None
        if self.target.exists():
            old = self.target.parent / f".bereik-tmp-old-{self.target.name}-{os.getpid()}"
            self.target.rename(old)
        self.tmp.rename(self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path`` via a temporary file and rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(data, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8"
    )
    tmp.replace(path)


def build_ref(item: str | Path, builds_dir: Path = DEFAULT_BUILDS_DIR) -> tuple[str, Path]:
    """Name and folder of a build given as ``NAME=PATH``, a folder, or a name.

    A bare name that is not an existing folder is a build under ``builds_dir``; the name of
    a folder is its last part. The folder need not exist (see :func:`resolve_build`).
    """
    name, sep, path = str(item).partition("=")
    if sep:
        return name.strip(), Path(path.strip())
    p = Path(item)
    if not p.exists() and (len(p.parts) == 1 or (builds_dir / p).exists()):
        p = builds_dir / p
    return p.name or str(p), p


def resolve_build(item: str | Path, builds_dir: Path = DEFAULT_BUILDS_DIR) -> Path:
    """Return the folder of an existing build given as a folder, a name or ``NAME=PATH``."""
    _, p = build_ref(item, builds_dir)
    if not p.exists():
        msg = f"no build at {p}; run `bereik build` first (or give its folder)"
        raise BuildNotFoundError(msg)
    return p
