"""The same objective as scikit-learn's solvers, the same answer to 1e-6."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
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
    c = 1.0 / (alpha * len(y))
    pipe = make_pipeline(
        StandardScaler(), LogisticRegression(C=c, solver="lbfgs", tol=1e-12, max_iter=100_000)
    ).fit(X, y)
    scaler, model = pipe
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
    """Same objective to 1e-10 (ours no higher), same scores and coefficients to 1e-6.

    scikit-learn's lbfgs also stops when the objective changes by less than 64 machine
    epsilons, which leaves its weights about 1e-6 off along the flattest directions of
    breast_cancer; downhill's run stops on the gradient norm, at 1e-13 of its start.
    """
    coef, intercept, scale = _sklearn_logistic(X, y, alpha)
    f_ours = _objective(X, y, ours.coef_, ours.intercept_, scale, alpha)
    f_ref = _objective(X, y, coef, intercept, scale, alpha)
    assert f_ours == pytest.approx(f_ref, rel=1e-10)
    assert f_ours <= f_ref * (1 + 1e-14)
    z_ref = np.asarray(X) @ coef.T + intercept
    z_ours = ours._decision(X)
    np.testing.assert_allclose(z_ours, z_ref, rtol=1e-6, atol=1e-6 * np.abs(z_ref).max())
    np.testing.assert_allclose(ours.coef_, coef, rtol=1e-5, atol=1e-8)
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
