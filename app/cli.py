"""The ``bereik`` command: the library's subcommands plus ``serve`` (the HTTP service).

``accessibility.cli`` owns build/info/export; this module adds ``serve`` to the same parser
and delegates everything else, so the domain packages never import the app.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from accessibility import cli as acc_cli

DEFAULT_BUILD = acc_cli.DEFAULT_BUILDS_DIR / acc_cli.DEFAULT_NAME


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    for action in parser._actions:  # argparse has no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return action
    msg = "accessibility.cli.make_parser() has no subcommands"
    raise RuntimeError(msg)


def make_parser() -> argparse.ArgumentParser:
    """Return the library's parser with the ``serve`` subcommand added."""
    parser = acc_cli.make_parser()
    s = _subparsers(parser).add_parser(
        "serve",
        help="run the HTTP service (API, OGC collections and web map)",
        description=(
            "Serve one or more builds read-only over HTTP: GeoJSON layers, OGC API Features "
            "collections, isochrones, catchments, matrices, and the web map at /. Other "
            "settings come from BEREIK_* environment variables or a .env file."
        ),
    )
    s.add_argument(
        "--build", action="append", default=None, metavar="PATH_OR_NAME",
        help=(f"build folder, a build name under --builds-dir, or NAME=PATH; repeat to serve "
              f"several (the first is the default; default: {DEFAULT_BUILD})"),
    )  # fmt: skip
    s.add_argument(
        "--builds-dir", type=Path, default=acc_cli.DEFAULT_BUILDS_DIR,
        help=f"folder of named builds (default: {acc_cli.DEFAULT_BUILDS_DIR})",
    )  # fmt: skip
    s.add_argument(
        "--build-default", action="store_true",
        help=f"when {DEFAULT_BUILD} is missing, build the embedded sample first",
    )  # fmt: skip
    s.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1; 0.0.0.0 for all)")  # fmt: skip
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--workers", type=int, default=1,
                   help="worker processes; each loads the builds (default 1)")  # fmt: skip
    s.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"])  # fmt: skip
    return parser


def _resolve(item: str, builds_dir: Path) -> tuple[str, Path]:
    """``NAME=PATH`` or a path or a name under ``builds_dir`` -> (name, path)."""
    name, sep, path = item.partition("=")
    if sep:
        return name.strip(), Path(path.strip())
    p = Path(item)
    if not p.exists() and ((builds_dir / item).exists() or len(p.parts) == 1):
        p = builds_dir / item  # a bare name is a build under builds_dir
    return p.name, p


def _build_default(path: Path) -> None:
    """Build the embedded sample with `bereik build`'s own defaults (startup, not a request)."""
    print(f"bereik: building the embedded sample into {path} (first start)", file=sys.stderr)
    rc = acc_cli.main(["build", "--out", str(path)])
    if rc != 0:
        raise SystemExit(rc)


def serve(args: argparse.Namespace) -> int:
    """Prepare the builds, then run uvicorn on ``app.main:app``."""
    import uvicorn  # only `serve` needs the server

    builds = [_resolve(b, args.builds_dir) for b in (args.build or [str(DEFAULT_BUILD)])]
    for name, path in builds:
        if (path / "manifest.json").exists():
            continue
        if args.build_default and path == DEFAULT_BUILD:
            _build_default(path)
        else:
            print(f"bereik: warning: no build {name!r} at {path}; the service starts without "
                  "it (GET /health tells); run `bereik build` or use --build-default",
                  file=sys.stderr)  # fmt: skip
    # settings reach every worker through the environment (read by app.config.Settings)
    os.environ["BEREIK_BUILD"] = ""
    os.environ["BEREIK_BUILDS"] = ",".join(f"{n}={p}" for n, p in builds)
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers,
                log_level=args.log_level)  # fmt: skip
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bereik``: ``serve`` here, every other subcommand in the library."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = make_parser().parse_args(argv)
    if args.command != "serve":
        return acc_cli.main(argv)
    from accessibility.errors import AccessibilityError

    try:
        return serve(args)
    except (AccessibilityError, ValueError) as exc:
        print(f"bereik: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
