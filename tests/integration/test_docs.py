"""The code blocks of docs/*.md run as written, one page at a time, in a scratch folder."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_doc_code_blocks_run(page, tmp_path, monkeypatch):
    text = page.read_text()
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs"}
    for match in re.finditer(r"```python\n(.*?)```", text, flags=re.S):  # in order, as a reader runs them
        first_line = text.count("\n", 0, match.start(1))
        # Blank lines in front keep tracebacks pointing at the right line of the page.
        exec(compile("\n" * first_line + match.group(1), str(page), "exec"), namespace)


def test_a_layer_that_rebinds_its_gradient_is_stopped():
    """The packed-parameter rule, checked without the docs: rebinding grads raises a clear error."""
    import numpy as np

    import numpynn as nn

    class Rebinding(nn.Dense):
        def backward_from_logits(self, grad_logits):
            self.grads["b"] = grad_logits.sum(axis=0)
            return super().backward_from_logits(grad_logits)

    model = nn.Sequential([nn.Dense(4, input_dim=3), Rebinding(2)], seed=0)
    model.compile("sgd", nn.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(RuntimeError, match=r"replaced grads\['b'\] with a new array"):
        model.fit(np.ones((8, 3), np.float32), np.zeros(8, int), verbose=0)
