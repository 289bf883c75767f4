#!/usr/bin/env python
"""Render pages of the council report as PNG images for the README and docs.

Builds the embedded sample (Liechtenstein 2015, SYNTHETIC broadband coverage) into a
temporary folder unless ``--build`` names one, renders its report as PDF with the library
call ``bereik report`` makes, and turns the chosen pages into PNG with ``pdftoppm``
(Debian's poppler-utils)::

    python scripts/render_report_page.py                       # docs/screenshots/report-page1.png
    python scripts/render_report_page.py --pages 1,3 --lang en --dpi 80

Writes ``docs/screenshots/report-page<N>.png`` (``report-<lang>-page<N>.png`` for English)
and prints how long the report took.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accessibility.build import run_build  # noqa: E402
from accessibility.defaults import DEFAULT_COVERAGE, DEFAULT_EXTRACT  # noqa: E402
from accessibility.model import load_build  # noqa: E402
from accessibility.params import BuildParams  # noqa: E402
from accessibility.report import render_pdf, render_report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", type=Path, default=None, help="a build folder (default: the "
                   "embedded sample, built into a temporary folder)")  # fmt: skip
    p.add_argument("--municipality", default=None)
    p.add_argument("--lang", choices=["nl", "en"], default="nl")
    p.add_argument("--pages", default="1", help="comma-separated page numbers (default 1)")
    p.add_argument("--dpi", type=int, default=90, help="pixels per inch (default 90)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = p.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("needs pdftoppm: apt-get install poppler-utils", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.build
        if folder is None:
            folder = Path(tmp) / "demo"
            run_build(BuildParams(extract=ROOT / DEFAULT_EXTRACT, coverage=ROOT / DEFAULT_COVERAGE),
                      folder)  # fmt: skip
        build = load_build(folder)
        t0 = time.perf_counter()
        html = render_report(build, municipality=args.municipality, lang=args.lang)
        t1 = time.perf_counter()
        pdf = render_pdf(html)
        t2 = time.perf_counter()
        print(f"report of {build.name}: HTML {t1 - t0:.1f} s ({len(html) / 1e6:.1f} MB), "
              f"PDF {t2 - t1:.1f} s ({len(pdf) / 1e6:.1f} MB)")  # fmt: skip
        pdf_path = Path(tmp) / "report.pdf"
        pdf_path.write_bytes(pdf)
        args.out.mkdir(parents=True, exist_ok=True)
        prefix = "report" if args.lang == "nl" else f"report-{args.lang}"
        for page in (int(n) for n in args.pages.split(",")):
            stem = args.out / f"{prefix}-page{page}"
            subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), "-f", str(page), "-l",
                            str(page), "-singlefile", str(pdf_path), str(stem)],
                           check=True)  # fmt: skip
            print(f"wrote {stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
