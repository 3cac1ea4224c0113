"""Text classification on offline corpora: `numpynn train text:FOLDER` with its defaults against
scikit-learn's TfidfVectorizer + LogisticRegression, on the same split.

    apt-get install fortunes                     # Debian's fortune cookies, sorted by topic into files
    python benchmarks/text.py [--task topics|all] [--seeds 3]

Tasks (each fortune file is a class; a fortune is one document):
- topics: 10 topical files (computers, science, politics, food, law, education, sports, medicine, art,
  love), about 3,800 short quotations;
- all: every fortune file with at least 50 fortunes, about 40 classes and 15,000 documents.

The folder is written to a temporary directory and split by numpynn (70/10/20, stratified, by the seed).
scikit-learn gets the same training and test documents: the split is the same function with the same
seed. Each library runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine_line

FORTUNES = Path("/usr/share/games/fortunes")
TOPICS = ("computers", "science", "politics", "food", "law", "education", "sports", "medicine", "art", "love")


def fortunes(name: str) -> list[str]:
    """The fortunes of one file: the text between lines holding only "%"."""
    text = (FORTUNES / name).read_bytes().decode("utf-8", errors="replace")
    return [part.strip() for part in text.split("\n%\n") if part.strip()]


def task_files(task: str) -> list[str]:
    if task == "topics":
        return list(TOPICS)
    names = [p.name for p in FORTUNES.iterdir() if p.is_file() and p.suffix == "" and not p.name.endswith(".dat")]
    return sorted(name for name in names if len(fortunes(name)) >= 50)


def write_folder(root: Path, names: list[str]) -> int:
    count = 0
    for name in names:
        (root / name).mkdir(parents=True)
        for i, text in enumerate(fortunes(name)):
            (root / name / f"{i}.txt").write_text(text, encoding="utf-8")
            count += 1
    return count


def run_numpynn(folder: Path, seed: int, out: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "numpynn", "train", f"text:{folder}", "--seed", str(seed), "--quiet"]
    subprocess.run([*command, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    metrics = json.loads((out / "metrics.json").read_text())
    return metrics["test"]["accuracy"], metrics["train_seconds"]


def run_sklearn(folder: Path, seed: int) -> tuple[float, float]:
    """In this process (the script calls itself with --sklearn-only): the same split, TF-IDF + logistic
    regression with scikit-learn's defaults (L2, C=1)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from numpynn.data.datasets import load_text_folder
    from numpynn.data.preprocessing import train_val_test_split

    data = load_text_folder(folder, log=lambda message: None)
    texts, y = data.splits["all"]
    (train, _), _, (test, _) = train_val_test_split(
        np.arange(len(y)), y, val_size=0.1, test_size=0.2, stratify=True, seed=seed
    )
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(max_features=2000)
    model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform([texts[i] for i in train]), y[train])
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(vectorizer.transform([texts[i] for i in test])) == y[test]))
    return accuracy, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("topics", "all"), default="topics")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sklearn-only", type=Path, help=argparse.SUPPRESS)  # FOLDER: the baseline, one process
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sklearn_only:
        print(json.dumps(run_sklearn(args.sklearn_only, args.seed)))
        return
    if not FORTUNES.is_dir():
        sys.exit("benchmarks/text.py: no /usr/share/games/fortunes; apt-get install fortunes")
    print(machine_line())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / args.task
        count = write_folder(folder, task_files(args.task))
        print(f"task {args.task}: {len(list(folder.iterdir()))} classes, {count} documents")
        print("| seed | numpynn test accuracy | numpynn training s | scikit-learn test accuracy | scikit-learn fit s |")
        print("|---|---|---|---|---|")
        for seed in range(args.seeds):
            ours, our_seconds = run_numpynn(folder, seed, Path(scratch) / f"run-{seed}")
            baseline = subprocess.run(
                [sys.executable, __file__, "--sklearn-only", str(folder), "--seed", str(seed)],
                check=True, capture_output=True, text=True, env=dict(os.environ),
            )  # fmt: skip
            theirs, their_seconds = json.loads(baseline.stdout)
            print(f"| {seed} | {ours:.4f} | {our_seconds:.1f} | {theirs:.4f} | {their_seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
