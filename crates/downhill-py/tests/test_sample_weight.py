"""``sample_weight``: a weighted mean of the rows' losses, against scikit-learn and against
the rows repeated or dropped."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import StandardScaler

from downhill import GDClassifier, GDRegressor


def _weights(n, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 3.0, n)


def test_weighted_linear_regression_matches_sklearn(stackloss):
    X, y = stackloss
    w = _weights(len(y))
    ref = LinearRegression().fit(X, y, sample_weight=w)
    for optimizer in ["gd", "newton"]:
        ours = GDRegressor(optimizer=optimizer).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
        np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, rtol=1e-6)
    # The weights change the answer: the test above would catch weights ignored.
    plain = LinearRegression().fit(X, y)
    assert np.abs(plain.coef_ - ref.coef_).max() > 1e-3


def _sklearn_weighted_logistic(X, y, w, alpha):
    # downhill: sum(w l) / sum(w) + alpha/2 |w_std|^2 with weighted z-scores; scikit-learn:
    # C sum(w l) + |w|^2 / 2 on the same z-scores, so C = 1 / (alpha sum(w)).
    scaler = StandardScaler().fit(X, sample_weight=w)
    with warnings.catch_warnings():
        # Newton's method run to a gradient of rounding error (see test_sklearn_parity).
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(
            C=1.0 / (alpha * w.sum()), solver="newton-cholesky", tol=1e-14, max_iter=1000
        ).fit(scaler.transform(X), y, sample_weight=w)
    coef = model.coef_ / scaler.scale_
    return coef, model.intercept_ - coef @ scaler.mean_


@pytest.mark.parametrize(
    "data, optimizer", [("breast_cancer", "newton"), ("iris", "lbfgs"), ("breast_cancer", "gd")]
)
def test_weighted_logistic_and_softmax_match_sklearn(data, optimizer, request):
    X, y = request.getfixturevalue(data)
    w = _weights(len(y), seed=1)
    alpha = 0.01
    ours = GDClassifier(optimizer=optimizer, alpha=alpha, max_iter=200_000).fit(
        X, y, sample_weight=w
    )
    assert ours.converged_
    coef, intercept = _sklearn_weighted_logistic(X, y, w, alpha)
    scale = np.abs(coef).max()
    np.testing.assert_allclose(ours.coef_, coef, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(ours.intercept_, intercept, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make", [lambda: GDRegressor(), lambda: GDClassifier(alpha=0.01, max_iter=500)]
)
def test_integer_weights_equal_repeated_rows(make, stackloss, breast_cancer):
    regression = isinstance(make(), GDRegressor)
    X, y = stackloss if regression else breast_cancer
    X, y = np.asarray(X), np.asarray(y)
    w = np.random.default_rng(2).integers(1, 4, len(y)).astype(float)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    weighted = make().fit(X, y, sample_weight=w)
    repeated = make().fit(X[rep], y[rep])
    # The same objective and the same full-batch steps: equal but for rounding.
    assert weighted.n_iter_ == pytest.approx(repeated.n_iter_, abs=2)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9)
    np.testing.assert_allclose(
        weighted.loss_curve_[:50], repeated.loss_curve_[:50], rtol=1e-10, atol=1e-14
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make", [lambda: GDRegressor(), lambda: GDClassifier(alpha=0.01, max_iter=500)]
)
def test_zero_weights_equal_dropped_rows(make, stackloss, breast_cancer):
    regression = isinstance(make(), GDRegressor)
    X, y = stackloss if regression else breast_cancer
    X, y = np.asarray(X), np.asarray(y)
    w = np.ones(len(y))
    w[::3] = 0.0
    # The dropped rows are made wild: were they read, the fit would move.
    X = X.astype(float)
    X[::3] *= 50.0
    weighted = make().fit(X, y, sample_weight=w)
    dropped = make().fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(weighted.coef_, dropped.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.intercept_, dropped.intercept_, rtol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_unit_weights_are_the_unweighted_fit(breast_cancer):
    X, y = breast_cancer
    plain = GDClassifier(batch_size=32, optimizer="adam", max_iter=5).fit(X, y)
    ones = GDClassifier(batch_size=32, optimizer="adam", max_iter=5).fit(
        X, y, sample_weight=np.ones(len(y))
    )
    np.testing.assert_array_equal(plain.coef_, ones.coef_)


@pytest.mark.parametrize(
    "weights, message",
    [
        (lambda n: -np.ones(n), "Negative values"),
        (lambda n: np.r_[np.nan, np.ones(n - 1)], "NaN"),
        (lambda n: np.r_[np.inf, np.ones(n - 1)], "infinity"),
        (lambda n: np.ones(n + 1), r"sample_weight.shape == \(22,\)"),
        (lambda n: np.zeros(n), "at least one non-zero"),
    ],
)
def test_bad_weights_are_value_errors(weights, message, stackloss):
    X, y = stackloss
    with pytest.raises(ValueError, match=message):
        GDRegressor().fit(X, y, sample_weight=weights(len(y)))
