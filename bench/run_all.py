"""Run every benchmark with its default settings (``make bench``); figures go to stdout."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script, args in (("search_quality.py", []), ("embedders.py", []), ("ingest_documents.py", []), ("catalog_scale.py", []), ("answers.py", []),
                     ("serve_load.py", []), ("channels_burst.py", [])):
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)
