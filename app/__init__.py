"""bereik HTTP service (FastAPI): adapts the accessibility and broadband libraries."""
