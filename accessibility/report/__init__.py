"""The report for the provincial council: one document per build or municipality (issue 11).

:func:`render_report` turns a loaded build into a self-contained HTML document, in Dutch
(the default) or English: a title page (build, extract, dates, what was measured, the
"synthetic" label where the manifest marks data so, OpenStreetMap's attribution), a map per
key facility (villages coloured by road distance, over the roads and, when the build has
one, its basemap's water and built-up areas), charts (the distribution of distances over
residents or villages, the share beyond each CBS ring, the farthest villages), with another
build the change per village and the "at least the same" verdict per category, the villages
with a double disadvantage, and the method and sources. :func:`render_pdf` lays it out as
A4 pages with WeasyPrint. Every figure is read from the build's tables
(:mod:`accessibility.report.figures`), rounded as :mod:`accessibility.precision` rounds.

Modules: ``figures`` (the numbers), ``maps`` and ``charts`` (matplotlib, Agg canvas, PNG),
``text`` (the Dutch and English wording, number formatting), ``document`` (the HTML),
``pdf`` (WeasyPrint).
"""

from __future__ import annotations

from datetime import date

from accessibility.model import Build
from accessibility.report.figures import KEY_CATEGORIES, municipalities_of, resolve_municipality
from accessibility.report.text import LANGUAGES, check_lang

__all__ = ["KEY_CATEGORIES", "LANGUAGES", "municipalities_of", "render_pdf", "render_report"]


def render_report(
    build: Build,
    *,
    municipality: str | None = None,
    compare: Build | None = None,
    lang: str = "nl",
    profile: str | None = None,
    today: date | None = None,
) -> str:
    """Return the report on ``build`` as one self-contained HTML document.

    Parameters
    ----------
    build
        A loaded build (:func:`accessibility.model.load_build`).
    municipality
        Only this municipality's villages (case-insensitive); None: the whole build.
    compare
        Another build (an earlier year) to compare with: the change per village and the
        "at least the same" verdict per category.
    lang
        ``nl`` (Dutch, the default) or ``en``.
    profile
        The travel profile of the figures (default: the build's, car when built).
    today
        The report's date (default: today).

    Raises
    ------
    UnknownMunicipalityError
        ``municipality`` is not one of the build's (the message lists them).
    UnknownProfileError
        ``profile`` has no network in the build.
    ValueError
        ``lang`` is not one of :data:`LANGUAGES`.
    """
    from accessibility.report.document import report_html

    check_lang(lang)
    chosen = resolve_municipality(build, municipality)
    return report_html(
        build,
        municipality=chosen,
        compare=compare,
        lang=lang,
        profile=build.pick_profile(profile),
        today=today or date.today(),
    )


def render_pdf(html: str) -> bytes:
    """Lay out a report's HTML as an A4 PDF (WeasyPrint; see :mod:`accessibility.report.pdf`).

    Raises
    ------
    ReportUnavailableError
        When WeasyPrint or its system libraries are missing.
    """
    from accessibility.report.pdf import html_to_pdf

    return html_to_pdf(html)
