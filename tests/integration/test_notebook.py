"""notebooks/tour.ipynb runs top to bottom (in quick mode, on small slices)."""

from pathlib import Path

import pytest
from conftest import requires_mnist

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "tour.ipynb"


@requires_mnist
def test_tour_notebook_executes(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("NUMPYNN_QUICK", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 9, "every figure should render in the notebook"
    text = "".join(o.get("text", "") for o in outputs)
    assert "gradient check passed" in text and "test:" in text
