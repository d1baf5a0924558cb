"""scikit-learn's own estimator checks, on the defaults and a few other settings."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from downhill import GDClassifier, GDRegressor

ESTIMATORS = [
    GDRegressor(),
    GDRegressor(optimizer="adam", batch_size=16, random_state=0),
    GDRegressor(penalty="l1", alpha=0.01),
    GDRegressor(optimizer="auto"),
    GDClassifier(),
    GDClassifier(optimizer="adam", batch_size=16, random_state=0),
    GDClassifier(penalty="l1", alpha=0.01),
    GDClassifier(optimizer="auto"),
]

# Each expected failure with its reason.
EXPECTED = {}

# Mini-batches are random draws of rows: a row repeated k times lands in other batches than
# the same row with weight k, so the two runs take different stochastic paths to the same
# objective and differ after a finite number of epochs (as scikit-learn's own SGDRegressor
# and SGDClassifier, which it marks likewise). Full-batch fits pass this check.
MINI_BATCH = {
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batches draw rows at random: repeated rows and weights take different paths"
    ),
}


# A full-batch L1 fit stops on its proximal step measured against its first epoch's, which
# the training state does not keep: partial_fit raises for it, and these checks call it.
FULL_BATCH_L1 = {
    name: "partial_fit raises for a full-batch L1 penalty (it cannot be continued)"
    for name in (
        "check_fit_score_takes_y",
        "check_n_features_in_after_fitting",
        "check_estimators_partial_fit_n_features",
    )
}


def expected_failed_checks(estimator):
    out = dict(EXPECTED.get(type(estimator).__name__, {}))
    if estimator.batch_size is not None:
        out.update(MINI_BATCH)
    elif estimator.penalty in ("l1", "elasticnet"):
        out.update(FULL_BATCH_L1)
    return out


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
