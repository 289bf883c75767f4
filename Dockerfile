# syntax=docker/dockerfile:1
# bereik service image: the API, OGC collections and web map on port 8000.
#
#   docker build -t bereik .
#   docker run --rm -p 8000:8000 bereik                       # serves the embedded sample
#   docker run --rm -p 8000:8000 -v "$PWD/data/builds:/data/builds:ro" \
#       -e BEREIK_BUILD=/data/builds/drenthe bereik              # serves your own build
#
# Build your own data outside the container (or with `docker run ... bereik bereik build
# /data/raw/drenthe-latest.osm.pbf --out /data/builds/drenthe` and a writable volume); the
# service itself never builds. Settings: BEREIK_* variables (see .env.example).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- stage 1: install into a virtualenv and build the sample -------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# dependencies first (a layer that survives code changes): install the project with empty
# packages, then replace it by the real code without touching the dependencies
COPY pyproject.toml README.md ./
RUN mkdir -p accessibility broadband app \
    && touch accessibility/__init__.py broadband/__init__.py app/__init__.py \
    && pip install . \
    && pip uninstall -y bereik
COPY accessibility ./accessibility
COPY broadband ./broadband
COPY app ./app
RUN pip install --no-deps . && rm -rf build

# the embedded sample build (a few seconds), so the image serves something out of the box
COPY data/samples/liechtenstein-2015-07-27.osm.pbf \
     data/samples/synthetic-coverage-liechtenstein.tif data/samples/
RUN python -m app.cli build --quiet --out /opt/bereik/data/builds/demo \
        data/samples/liechtenstein-2015-07-27.osm.pbf \
    && python -m app.cli info /opt/bereik/data/builds/demo

# --- stage 2: runtime, no build tools, non-root --------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="bereik" \
      org.opencontainers.image.description="Accessibility of villages to facilities, from OpenStreetMap" \
      org.opencontainers.image.licenses="MIT"
# Pango for WeasyPrint (GET /report?format=pdf); without it the PDF route answers 503
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 bereik \
    && useradd --system --uid 10001 --gid bereik --home-dir /opt/bereik --no-create-home bereik
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /opt/bereik /opt/bereik
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BEREIK_BUILD=/opt/bereik/data/builds/demo
# the app never writes: the sample is read-only and owned by root
WORKDIR /opt/bereik
USER bereik
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
