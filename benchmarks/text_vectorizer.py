"""Tokenising and vectorising 100,000 short documents: numpynn's TextVectorizer, and scikit-learn's
CountVectorizer on the same documents (each library in its own process: run the script once per library).

    python benchmarks/text_vectorizer.py [--documents 100000] [--library numpynn|sklearn]

The documents are made here (no download): 5 to 30 words each, drawn with Zipf-like frequencies from a
vocabulary of 20,000 made-up words, with punctuation and capitals. Times are the best of 3 for
``adapt`` and for each output mode's ``transform`` (scikit-learn: ``fit`` and ``transform``, which returns
a sparse matrix; numpynn's "count" and "tf_idf" are dense and are transformed 10,000 documents at a time).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import machine_line


def documents(count: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzéü"))
    words = ["".join(rng.choice(letters, size=rng.integers(2, 10))) for _ in range(20_000)]
    weights = 1 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    lengths = rng.integers(5, 31, size=count)
    picks = rng.choice(len(words), size=int(lengths.sum()), p=weights)
    texts, start = [], 0
    for length in lengths:
        chosen = [words[i] for i in picks[start : start + length]]
        start += length
        chosen[0] = chosen[0].capitalize()
        texts.append(" ".join(chosen) + rng.choice([".", "!", "?", ", ok."]))
    return texts


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--library", choices=("numpynn", "sklearn"), default="numpynn")
    args = parser.parse_args()
    texts = documents(args.documents)
    print(f"{machine_line()}; {args.documents:,} documents, {sum(len(t.split()) for t in texts):,} words")
    if args.library == "numpynn":
        from numpynn.data.text_vectorizer import TextVectorizer, punctuation_table

        punctuation_table()  # built once per process; not part of the per-call times
        for mode in ("int", "count", "tf_idf"):
            length = 32 if mode == "int" else None
            vectorizer = TextVectorizer(max_tokens=20_000, output_mode=mode, output_sequence_length=length)
            adapt = best(lambda: vectorizer.adapt(texts))
            # The other modes give a dense (documents, vocabulary) float32 array, as Keras's does: transform
            # them in batches of 10,000 documents (800 MB each), as training reads them.
            transform = best(lambda: [vectorizer(texts[i : i + 10_000]) for i in range(0, len(texts), 10_000)])
            print(f"| numpynn TextVectorizer {mode} | {adapt:.2f} | {transform:.2f} |")
    else:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        for name, make in (("CountVectorizer", CountVectorizer), ("TfidfVectorizer", TfidfVectorizer)):
            vectorizer = make(max_features=20_000)
            fit = best(lambda: vectorizer.fit(texts))
            transform = best(lambda: vectorizer.transform(texts))
            print(f"| scikit-learn {name} | {fit:.2f} | {transform:.2f} |")


if __name__ == "__main__":
    main()
