"""Run by Debian's ``/usr/bin/python3`` (QGIS's Python bindings), not by pytest.

``qgis_probe.py JOBS.json``: JOBS is a list of ``[key, provider, uri]``. Each layer is loaded
with QGIS's own provider (``OAPIF``, ``ogr``), every feature is read, and one line
``RESULT <key> <json>`` is printed: valid, the geometry type, ``featureCount()``, the number
of features read and the fields with their types. Before each layer a line ``@@ <key>`` is
printed, and QGIS's message log goes to stdout too, so that with stderr sent to stdout every
message (GDAL's "ERROR 1: ..." included) lands under the key of the layer that caused it.
"""

import json
import sys
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsVectorLayer, QgsWkbTypes
from qgis.PyQt.QtCore import QVariant

LEVELS = {Qgis.Info: "Info", Qgis.Warning: "Warning", Qgis.Critical: "Critical"}


def log(message, tag, level):
    print(f"LOG {LEVELS.get(level, level)} [{tag}] {message}", flush=True)


def probe(provider, uri):
    layer = QgsVectorLayer(uri, "probe", provider)
    out = {"valid": layer.isValid()}
    if layer.isValid():
        out.update(
            wkb=QgsWkbTypes.displayString(layer.wkbType()),
            geometry=QgsWkbTypes.geometryDisplayString(layer.geometryType()),
            feature_count=layer.featureCount(),
            features_read=sum(1 for _ in layer.getFeatures()),
            fields={f.name(): QVariant.typeToName(f.type()) for f in layer.fields()},
        )
    del layer
    return out


def main():
    jobs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(log)
    for key, provider, uri in jobs:
        print(f"@@ {key}", flush=True)
        print(f"RESULT {key} {json.dumps(probe(provider, uri))}", flush=True)
    print("@@ exit", flush=True)
    app.exitQgis()


main()
