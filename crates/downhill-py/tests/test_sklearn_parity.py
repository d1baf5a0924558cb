"""The same objective as scikit-learn's solvers, the same answer to 1e-6."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import StandardScaler

from downhill import GDClassifier, GDRegressor


def test_linear_regression_on_stackloss(stackloss):
    X, y = stackloss
    ours = GDRegressor().fit(X, y)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, rtol=1e-6)


def test_linear_regression_without_standardizing(stackloss):
    X, y = stackloss
    ours = GDRegressor(optimizer="newton", standardize=False).fit(X, y)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, rtol=1e-6)


def _sklearn_logistic(X, y, alpha):
    # scikit-learn minimises C * sum(loss) + ||w||^2 / 2; downhill mean(loss) + alpha/2 ||w||^2
    # on the standardised weights (StandardScaler's z-scores): the same with C = 1/(alpha N).
    # The reference is scikit-learn's Newton solver run to a gradient of 1e-14: lbfgs with
    # tol=1e-12 stops on an objective change of 64 machine epsilons, which leaves its
    # breast_cancer weights about 3.6e-6 off along the flattest directions, a reference
    # that is not converged. Newton's steps end where the gradient is rounding error.
    c = 1.0 / (alpha * len(y))
    scaler = StandardScaler().fit(X)
    with warnings.catch_warnings():
        # At 1e-14 the last step's gradient may be rounding error a little above tol.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=c, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(
            scaler.transform(X), y
        )
    coef = model.coef_ / scaler.scale_
    intercept = model.intercept_ - coef @ scaler.mean_
    return coef, intercept, scaler.scale_


def _objective(X, y, coef, intercept, scale, alpha):
    """The mean log loss plus alpha/2 times the squared standardised weights."""
    z = np.asarray(X) @ np.atleast_2d(coef).T + intercept
    classes, k = np.unique(y, return_inverse=True)
    if z.shape[1] == 1:
        z = np.column_stack([np.zeros(len(z)), z[:, 0]])
    logp = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    loss = -logp[np.arange(len(k)), k].mean()
    return loss + alpha / 2 * np.sum((np.atleast_2d(coef) * scale) ** 2)


def _same_fit(X, y, ours, alpha):
    """Same objective to 1e-10 (ours no higher), same coefficients to 1e-6."""
    coef, intercept, scale = _sklearn_logistic(X, y, alpha)
    f_ours = _objective(X, y, ours.coef_, ours.intercept_, scale, alpha)
    f_ref = _objective(X, y, coef, intercept, scale, alpha)
    assert f_ours == pytest.approx(f_ref, rel=1e-10)
    assert f_ours <= f_ref * (1 + 1e-14)
    z_ref = np.asarray(X) @ coef.T + intercept
    z_ours = ours._decision(X)
    np.testing.assert_allclose(z_ours, z_ref, rtol=1e-6, atol=1e-6 * np.abs(z_ref).max())
    np.testing.assert_allclose(ours.coef_, coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, intercept, rtol=1e-6)


def test_logistic_regression_on_breast_cancer(breast_cancer):
    X, y = breast_cancer
    alpha = 0.01
    ours = GDClassifier(optimizer="newton", penalty="l2", alpha=alpha).fit(X, y)
    _same_fit(X, y, ours, alpha)


def test_plain_gradient_descent_reaches_the_same_logistic_fit(breast_cancer):
    X, y = breast_cancer
    alpha = 0.05
    ours = GDClassifier(penalty="l2", alpha=alpha, max_iter=100_000).fit(X, y)
    assert ours.converged_
    _same_fit(X, y, ours, alpha)


def test_softmax_regression_on_iris(iris):
    X, y = iris
    alpha = 0.01
    ours = GDClassifier(optimizer="lbfgs", penalty="l2", alpha=alpha, max_iter=10_000).fit(X, y)
    _same_fit(X, y, ours, alpha)
