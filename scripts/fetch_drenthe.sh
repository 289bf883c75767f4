#!/usr/bin/env bash
# Download the OpenStreetMap extract of Drenthe (Geofabrik) into data/raw/ and record its
# checksum, date and licence. For users with internet access; bereik itself never downloads.
#
# Usage: scripts/fetch_drenthe.sh [URL]
#   then: bereik build data/raw/drenthe-latest.osm.pbf --name drenthe-$(date +%Y)
#
# The nearest GP of a border village may lie in Groningen, Friesland, Overijssel or Germany:
# for border-exact figures build from a larger extract (e.g. the Netherlands) and report only
# Drenthe's villages with --villages.
set -euo pipefail
url="${1:-https://download.geofabrik.de/europe/netherlands/drenthe-latest.osm.pbf}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/data/raw"
mkdir -p "$out"
file="$out/$(basename "$url")"
tmp="$file.part"
echo "downloading $url" >&2
curl --fail --location --show-error --output "$tmp" "$url"
mv "$tmp" "$file"
sha=$(sha256sum "$file" | cut -d' ' -f1)
cat > "$file.json" <<JSON
{
  "source": "$url",
  "downloaded": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "sha256": "$sha",
  "bytes": $(stat -c %s "$file"),
  "licence": "ODbL 1.0",
  "attribution": "© OpenStreetMap contributors"
}
JSON
echo "wrote $file (sha256 $sha) and $file.json" >&2
