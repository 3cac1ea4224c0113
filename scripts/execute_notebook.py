"""Run a notebook top to bottom (full mode, real data) and save it with its outputs, so the figures
and numbers can be read without running it (`make notebook`).

Progress bars redraw a line with carriage returns; in the saved file each stream keeps only what a
terminal would finally show, so the notebook stays readable and small.

    python scripts/execute_notebook.py notebooks/tour.ipynb [--timeout 1800]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from numpynn.files import atomic_write


def final_terminal_text(text: str) -> str:
    """What a terminal shows after ``text``: on every line, the part after its last carriage return."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def collapse_streams(outputs: list) -> list:
    """Merge consecutive outputs of one stream (stdout, stderr) and apply carriage returns."""
    merged = []
    for output in outputs:
        if (
            output.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1]["name"] == output["name"]
        ):
            merged[-1]["text"] += output["text"]
        else:
            merged.append(output)
    for output in merged:
        if output.get("output_type") == "stream":
            output["text"] = final_terminal_text(output["text"])
    return [o for o in merged if o.get("output_type") != "stream" or o["text"].strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one cell may take")
    args = parser.parse_args()
    import nbclient
    import nbformat

    notebook = nbformat.read(args.notebook, as_version=4)
    os.environ.pop("NUMPYNN_QUICK", None)  # the saved notebook shows the full run
    start = time.perf_counter()
    nbclient.NotebookClient(
        notebook,
        timeout=args.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(args.notebook.parent)}},
    ).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = collapse_streams(cell.outputs)
    with atomic_write(args.notebook, "w", encoding="utf-8") as handle:  # never half a notebook
        nbformat.write(notebook, handle)
    print(
        f"{args.notebook}: executed in {time.perf_counter() - start:.0f} s and saved with its outputs", file=sys.stderr
    )


if __name__ == "__main__":
    main()
