"""The API reference builds from the docstrings with warnings as errors: a reference to a module, class or
function that no longer exists fails here (``make docs`` runs the same build)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_documentation_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocstrings", reason="the docs extra: pip install -e '.[docs]'")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    result = subprocess.run(
        [mkdocs, "build", "--strict", "-q", "-d", str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("Sequential", "register_forward_hook", "RunFolder", "TargetScaler", "configure_runtime", "fit"):
        assert name in api
