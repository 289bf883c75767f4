"""The report as PDF: WeasyPrint lays out the self-contained HTML (A4, page numbers).

WeasyPrint is a Python library on Pango (a system library: Debian's ``libpango-1.0-0`` and
``libpangoft2-1.0-0``). The HTML has its images as data URIs and no link to fetch, and
WeasyPrint is given a URL fetcher that takes ``data:`` URLs only, so nothing is downloaded.
"""

from __future__ import annotations

from accessibility.errors import ReportUnavailableError


def weasyprint_missing() -> str | None:
    """Why WeasyPrint cannot make PDFs here (not installed, no Pango), None when it can."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as exc:
        return f"WeasyPrint is not installed ({exc}); pip install weasyprint"
    except OSError as exc:  # its system libraries (Pango) are missing
        return (
            f"WeasyPrint cannot load its system libraries ({exc}); on Debian or Ubuntu: "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0"
        )
    return None


def _data_only():
    """WeasyPrint's URL fetcher for ``data:`` URLs only: every other URL is refused."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 67 and newer: a class
        return urls.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: object, **kwargs: object) -> dict:  # older: a function
        if not url.startswith("data:"):
            msg = f"the report fetches nothing, not {url[:60]!r}"
            raise ValueError(msg)
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def html_to_pdf(html: str) -> bytes:
    """Lay the report's HTML out as an A4 PDF.

    Raises
    ------
    ReportUnavailableError
        When WeasyPrint or its system libraries are missing (the message says what to
        install).
    """
    why = weasyprint_missing()
    if why is not None:
        msg = f"cannot make a PDF here: {why}"
        raise ReportUnavailableError(msg)
    import weasyprint

    doc = weasyprint.HTML(string=html, url_fetcher=_data_only())
    return doc.write_pdf()
