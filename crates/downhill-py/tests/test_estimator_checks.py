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


def expected_failed_checks(estimator):
    return EXPECTED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
