import numpy as np
import pytest
from sklearn import metrics as sk

from numpynn.nn import metrics


@pytest.fixture
def labels(rng):
    y_true = rng.integers(0, 4, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 4, 300))
    return y_true, y_pred


def test_confusion_matrix_and_accuracy_match_scikit_learn(labels):
    y_true, y_pred = labels
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, 4), sk.confusion_matrix(y_true, y_pred))
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(sk.accuracy_score(y_true, y_pred))


def test_precision_recall_f1_match_scikit_learn(labels):
    y_true, y_pred = labels
    scores = metrics.precision_recall_f1(y_true, y_pred, 4)
    p, r, f, s = sk.precision_recall_fscore_support(y_true, y_pred)
    np.testing.assert_allclose(scores["precision"], p)
    np.testing.assert_allclose(scores["recall"], r)
    np.testing.assert_allclose(scores["f1"], f)
    np.testing.assert_array_equal(scores["support"], s)
    for avg in ("macro", "weighted"):
        p, r, f, _ = sk.precision_recall_fscore_support(y_true, y_pred, average=avg)
        assert (scores[avg]["precision"], scores[avg]["recall"], scores[avg]["f1"]) == pytest.approx((p, r, f))


def test_class_never_predicted_has_zero_precision():
    scores = metrics.precision_recall_f1([0, 1, 2, 2], [0, 1, 1, 1], 3)
    assert scores["precision"][2] == 0 and scores["recall"][2] == 0 and scores["f1"][2] == 0


def test_classification_report_lists_classes_and_averages(labels):
    y_true, y_pred = labels
    report = metrics.classification_report(y_true, y_pred, class_names=["a", "b", "c", "d"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    row_b = next(line for line in lines if line.split()[:1] == ["b"]).split()
    p, r, f, s = sk.precision_recall_fscore_support(y_true, y_pred)
    assert float(row_b[1]) == pytest.approx(p[1], abs=5e-4) and int(row_b[4]) == s[1]
    assert any(line.split()[:2] == ["macro", "avg"] for line in lines)


def test_roc_curve_and_auc_match_scikit_learn(rng):
    y = rng.integers(0, 2, 200)
    scores = np.round(y * 0.5 + rng.random(200), 2)  # rounding creates ties
    fpr, tpr, thresholds = metrics.roc_curve(y, scores)
    sk_fpr, sk_tpr, _ = sk.roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert metrics.roc_auc(y, scores) == pytest.approx(sk.roc_auc_score(y, scores))


def test_labels_from_outputs_thresholds_and_argmax():
    np.testing.assert_array_equal(metrics.labels_from_outputs(np.array([[0.2, 0.8], [0.9, 0.1]])), [1, 0])
    np.testing.assert_array_equal(metrics.labels_from_outputs(np.array([[0.6], [0.4]])), [1, 0])
    np.testing.assert_array_equal(metrics.labels_from_outputs(np.array([[-0.1], [0.3]]), threshold=0.0), [0, 1])
