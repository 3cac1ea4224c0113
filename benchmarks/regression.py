"""Test R^2 of the default regression model (`numpynn train diabetes`) against scikit-learn's RidgeCV.

    python benchmarks/regression.py [--seeds 10] [--first-seed 0] [--model linear]

Each seed draws one 60/20/20 split of scikit-learn's bundled diabetes data (the split numpynn uses);
numpynn trains on the training split with early stopping on the validation split, RidgeCV (alphas
1e-3..1e3, its own leave-one-out choice) trains on training + validation rows; both are scored on the
same test rows, in the target's own units.
"""

from __future__ import annotations

import argparse
import platform
import statistics

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--model", help="a --model spec (default: the tabular default)")
    args = parser.parse_args()
    from sklearn.linear_model import RidgeCV

    from numpynn.nn.metrics import regression_scores
    from numpynn.runs import experiment

    print(f"CPU {platform.processor() or platform.machine()}, kernel {platform.release()}")
    print("| seed | numpynn R^2 | RidgeCV R^2 | numpynn MAE | RidgeCV MAE |")
    print("|---|---|---|---|---|")
    ours, theirs = [], []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        options = {"seed": seed, **({"model": args.model} if args.model else {})}
        result = experiment.fit_and_evaluate("diabetes", quiet=True, **options)
        data, target = result.data, result.data.preprocessing["target"]
        x_fit = np.concatenate([data.x_train, data.x_val])
        y_fit = np.concatenate([data.y_train, data.y_val]) * target["scale"] + target["mean"]
        ridge = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(x_fit, y_fit)
        baseline = regression_scores(data.y_test * target["scale"] + target["mean"], ridge.predict(data.x_test))
        test = result.metrics["test"]
        ours.append(test["r2"])
        theirs.append(baseline["r2"])
        print(
            f"| {seed} | {test['r2']:.4f} | {baseline['r2']:.4f} | {test['mae']:.2f} | {baseline['mae']:.2f} |",
            flush=True,
        )
    print(f"| mean | {statistics.mean(ours):.4f} | {statistics.mean(theirs):.4f} | | |")


if __name__ == "__main__":
    main()
