"""GET /report: the council report over HTTP (HTML or PDF, one municipality, a comparison)."""

from __future__ import annotations

import pytest

from accessibility.report.pdf import weasyprint_missing


def test_report_html(client):
    r = client.get("/report", params={"municipality": "TRIESENBERG", "lang": "en"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert 'filename="bereik-demo-Triesenberg-en.html"' in r.headers["content-disposition"]
    html = r.text
    assert '<html lang="en">' in html and "Municipality of Triesenberg" in html
    assert "Maps by facility" in html and "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html


def test_report_compare_and_errors(client):
    r = client.get("/report", params={"compare": "demo", "municipality": "Vaduz"})
    assert r.status_code == 200, r.text
    assert "ten minste gelijk" in r.text and "Vergelijking met demo" in r.text
    r = client.get("/report", params={"municipality": "Nowhere"})
    assert r.status_code == 404
    assert "Nowhere" in r.json()["detail"] and "Triesenberg" in r.json()["detail"]
    r = client.get("/report", params={"compare": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert client.get("/report", params={"lang": "de"}).status_code == 422
    assert client.get("/report", params={"format": "docx"}).status_code == 422


@pytest.mark.skipif(weasyprint_missing() is not None, reason=f"{weasyprint_missing()}")
def test_report_pdf(client):
    r = client.get("/report", params={"municipality": "Vaduz", "format": "pdf"})
    assert r.status_code == 200, r.text[:200]
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


def test_report_without_builds(empty_client):
    assert empty_client.get("/report").status_code == 503
