"""Builds as cached, immutable artifacts: one folder per build, written atomically.

A build folder holds ``manifest.json`` (inputs with hashes, parameters, OSM timestamp,
counts, library versions, created), the tables (CSV and Parquet), the networks (``.npz``)
and ``bereik.gpkg`` for QGIS (:class:`accessibility.layout.BuildLayout` names them). It is
written to a temporary sibling folder that takes the old one's place in one atomic step
(:class:`AtomicBuildDir`), under a lock (:class:`BuildLock`): a killed build leaves the
last good one, and two builds of one name cannot race. The manifest lists every file with
its size and SHA-256; "up to date" and :func:`check_files` compare them. The cache key is
a SHA-256 of the input bytes, the parameters, the schema version and the library versions
(r5py style).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from accessibility.defaults import DEFAULT_BUILDS_DIR
from accessibility.errors import AccessibilityError, BuildNotFoundError
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


def is_up_to_date(build_dir: str | Path, key: str, *, verify: bool = False) -> bool:
    """Tell whether ``build_dir`` holds a complete, undamaged build with this cache key.

    Every file the manifest lists must be there with its size; ``verify`` also compares
    each file's SHA-256 (reads every byte). A build from before the manifest listed its
    files is not up to date (it is rebuilt once).
    """
    try:
        manifest = read_manifest(build_dir)
    except BuildNotFoundError:
        return False
    if manifest.get("key") != key or "files" not in manifest:
        return False
    return not damaged_files(build_dir, manifest, hashes=verify)


def file_list(root: Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file under ``root`` but the manifest (for the manifest)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            out[p.relative_to(root).as_posix()] = {"bytes": p.stat().st_size,
                                                   "sha256": file_sha256(p)}  # fmt: skip
    return out


def damaged_files(root: str | Path, manifest: dict[str, Any], *, hashes: bool = False) -> list[str]:
    """Say what differs from the manifest's file list: missing, other size (other hash)."""
    problems = []
    for name, want in manifest.get("files", {}).items():
        p = Path(root) / name
        if not p.is_file():
            problems.append(f"{name} is missing")
        elif p.stat().st_size != want["bytes"]:
            problems.append(f"{name} has {p.stat().st_size:,} bytes, the manifest says "
                            f"{want['bytes']:,}")  # fmt: skip
        elif hashes and file_sha256(p) != want["sha256"]:
            problems.append(f"{name} differs from the manifest (SHA-256)")
    return problems


def check_files(root: str | Path, manifest: dict[str, Any], *, hashes: bool = False) -> None:
    """Raise BuildNotFoundError naming the first damaged file (sizes; ``hashes``: SHA-256)."""
    problems = damaged_files(root, manifest, hashes=hashes)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        msg = f"{root}: damaged build: {problems[0]}{more}; rebuild with `bereik build --force`"
        raise BuildNotFoundError(msg)


class BuildLockedError(AccessibilityError):
    """Another ``bereik build`` is writing the same build folder."""


@dataclass
class BuildLock:
    """Context manager: the lock of one build folder, so two builds of it cannot race.

    An exclusive ``flock`` on ``.<name>.bereik-lock`` beside the folder (released by the
    system when the process dies, so a killed build never leaves it locked). A second build
    of the same folder does not wait: it stops at once with :class:`BuildLockedError`.
    """

    target: Path

    def __enter__(self) -> BuildLock:
        import fcntl

        self.target = Path(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = self.target.parent / f".{self.target.name}.bereik-lock"
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(self.fd)
            msg = (f"another `bereik build` is writing {self.target} (pid {holder}); wait "
                   "for it to finish, or build under another name")  # fmt: skip
            raise BuildLockedError(msg) from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        os.close(self.fd)  # closing releases the lock


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    False where the system or file system cannot (then the caller falls back).
    """
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _old_copies(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".bereik-old-{target.name}-*"))


def recover(target: str | Path) -> None:
    """Put the last good build back where a swap was cut between its two renames.

    Only the fallback swap (no ``RENAME_EXCHANGE``) has two steps; a kill between them
    leaves the target missing and the previous build as ``.bereik-old-<name>-<pid>``.
    """
    target = Path(target)
    if target.exists() or target.is_symlink():
        return
    for old in reversed(_old_copies(target)):
        if (old / MANIFEST).is_file():
            old.rename(target)
            return


@dataclass
class AtomicBuildDir:
    """Context manager: a temporary folder that replaces ``target`` on success.

    The new folder takes the old one's place in one atomic step
    (:func:`exchange`, Linux ``renameat2``): a reader sees the old build or the new one,
    never a mix and never none. Where that is not available, two renames, and
    :func:`recover` undoes a cut between them. On error (or kill) the temporary folder is
    removed (or left as ``.bereik-tmp-*``, removed by the next build of that name), and
    ``target`` keeps its last good content. Hold :class:`BuildLock` around it.
    """

    target: Path

    def __enter__(self) -> Path:
        self.target = Path(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        recover(self.target)
        for stale in self.target.parent.glob(f".bereik-tmp-{self.target.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # killed builds (we hold the lock)
        self.tmp = self.target.parent / f".bereik-tmp-{self.target.name}-{os.getpid()}"
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if not self.target.exists():
            self.tmp.rename(self.target)
            return
        if exchange(self.tmp, self.target):
            shutil.rmtree(self.tmp, ignore_errors=True)  # it holds the old build now
            return
        old = self.target.parent / f".bereik-old-{self.target.name}-{os.getpid()}"
        self.target.rename(old)
        self.tmp.rename(self.target)
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
