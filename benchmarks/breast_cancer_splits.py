"""Breast Cancer over 20 stratified 60/20/20 splits (seeds 0-19): numpynn's default `numpynn train
breast-cancer` setting against scikit-learn's LogisticRegression and MLPClassifier on the same splits.

    python benchmarks/breast_cancer_splits.py [--seeds 20] [--model mlp:16] [--lr 0.001] ...
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from numpynn import experiment


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    for name, kind in (("model", str), ("optimizer", str), ("lr", float), ("weight_decay", float), ("epochs", int),
                       ("batch_size", int), ("early_stopping", int), ("schedule", str)):
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind)
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--ceiling", action="store_true",
                        help="also fit SVC and LogisticRegressionCV on train + validation (80 %%) of each split")
    args = parser.parse_args()
    options = {k: getattr(args, k) for k in ("model", "optimizer", "lr", "weight_decay", "epochs", "batch_size",
                                             "early_stopping", "schedule")}
    ours, logistic, mlp, seconds = [], [], [], []
    ceiling = {"scikit-learn SVC (RBF), trained on train + validation": [],
               "scikit-learn LogisticRegressionCV, trained on train + validation": []}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        start = time.perf_counter()
        _, data, _, metrics, config = experiment.fit_and_evaluate("breast-cancer", quiet=True, seed=seed, **options)
        seconds.append(time.perf_counter() - start)
        ours.append(metrics["test"]["accuracy"])
        if not args.no_sklearn:
            from sklearn.linear_model import LogisticRegression
            from sklearn.neural_network import MLPClassifier
            logistic.append(LogisticRegression(max_iter=5000).fit(data.x_train, data.y_train)
                            .score(data.x_test, data.y_test))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mlp.append(MLPClassifier(random_state=seed, max_iter=2000).fit(data.x_train, data.y_train)
                           .score(data.x_test, data.y_test))
        if args.ceiling:
            from sklearn.linear_model import LogisticRegressionCV
            from sklearn.svm import SVC
            x_fit, y_fit = np.r_[data.x_train, data.x_val], np.r_[data.y_train, data.y_val]
            for values, estimator in zip(ceiling.values(), (SVC(), LogisticRegressionCV(max_iter=5000))):
                values.append(estimator.fit(x_fit, y_fit).score(data.x_test, data.y_test))
    print(f"setting: {config['model']}, {config['optimizer']} lr {config['lr']}, weight decay {config['weight_decay']}, "
          f"batch {config['batch_size']}, up to {config['epochs']} epochs, early stopping {config['early_stopping']}")
    print("| model | mean test accuracy | std | min | max |")
    print("|---|---|---|---|---|")
    for name, values in (("numpynn (default `numpynn train breast-cancer`)", ours),
                         ("scikit-learn LogisticRegression", logistic), ("scikit-learn MLPClassifier", mlp),
                         *ceiling.items()):
        if values:
            v = np.array(values)
            print(f"| {name} | {v.mean():.4f} | {v.std():.4f} | {v.min():.4f} | {v.max():.4f} |")
    print(f"numpynn: {np.mean(seconds):.2f} s per split (training + evaluation), {args.seeds} splits")


if __name__ == "__main__":
    main()
