"""``partial_fit``: k calls equal ``fit`` with ``max_iter=k``; the state survives pickling."""

import pickle

import numpy as np
import pytest

from downhill import GDClassifier, GDRegressor

K = 7


def _regression(seed=0, n=60):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5] + [0.0, 2.0, -1.0]
    y = X @ [1.5, -0.5, 2.0] + 0.3 + 0.1 * rng.normal(size=n)
    return X, y


def _classes(seed=0, n=90):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.array(["a", "b", "c"])[np.argmax(X @ [[1.0, -1.0, 0.2], [0.5, 0.5, -1.0]], axis=1)]
    return X, y


REGRESSORS = {
    "sgd full batch": dict(optimizer="sgd", lr=0.05),
    "adam mini-batch shuffled": dict(optimizer="adam", lr=0.05, batch_size=8, random_state=3),
    "momentum with a step schedule": dict(optimizer="momentum", lr=0.05, schedule="step:2:0.5"),
}


def _pair(cls, settings):
    kw = dict(standardize=False, **settings)
    return cls(max_iter=K, **kw), cls(**kw)


@pytest.mark.parametrize("settings", REGRESSORS.values(), ids=REGRESSORS.keys())
def test_regressor_partial_fit_k_times_equals_fit_max_iter_k(settings):
    X, y = _regression()
    fitted, partial = _pair(GDRegressor, settings)
    with pytest.warns(Warning):  # max_iter=K does not converge
        fitted.fit(X, y)
    for _ in range(K):
        partial.partial_fit(X, y)
    np.testing.assert_array_equal(partial.coef_, fitted.coef_)
    np.testing.assert_array_equal(partial.intercept_, fitted.intercept_)
    assert partial.n_iter_ == K
    np.testing.assert_array_equal(partial.loss_curve_, fitted.loss_curve_)
    # A step really moved the coefficients (the test would pass on a no-op otherwise).
    assert not np.allclose(
        GDRegressor(standardize=False, **settings).partial_fit(X, y).coef_, partial.coef_
    )


def test_classifier_partial_fit_k_times_equals_fit_max_iter_k():
    X, y = _classes()
    settings = dict(optimizer="adam", lr=0.1, batch_size=16, random_state=1)
    fitted, partial = _pair(GDClassifier, settings)
    with pytest.warns(Warning):
        fitted.fit(X, y)
    for _ in range(K):
        partial.partial_fit(X, y, classes=["a", "b", "c"])
    np.testing.assert_array_equal(partial.coef_, fitted.coef_)
    np.testing.assert_array_equal(partial.intercept_, fitted.intercept_)
    np.testing.assert_array_equal(partial.classes_, fitted.classes_)
    np.testing.assert_array_equal(partial.predict(X), fitted.predict(X))


def test_pickling_between_calls_continues_identically():
    X, y = _regression()
    a = GDRegressor(optimizer="adam", lr=0.05, batch_size=8, random_state=2, standardize=False)
    b = GDRegressor(**a.get_params())
    for _ in range(3):
        a.partial_fit(X, y)
        b.partial_fit(X, y)
    b = pickle.loads(pickle.dumps(b))
    for _ in range(3):
        a.partial_fit(X, y)
        b.partial_fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert b.n_iter_ == 6


def test_later_calls_may_bring_other_rows_and_approach_the_least_squares_fit():
    X, y = _regression(n=400)
    est = GDRegressor(optimizer="adam", lr=0.05, batch_size=20, random_state=0)
    for _ in range(60):
        for rows in np.array_split(np.arange(400), 4):
            est.partial_fit(X[rows], y[rows])
    A = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(est.coef_, exact[:3], atol=2e-2)
    np.testing.assert_allclose(est.intercept_[0], exact[3], atol=5e-2)


def test_standardized_partial_fit_reaches_fit_s_minimum():
    X, y = _regression()
    exact = GDRegressor(optimizer="lbfgs", gtol=1e-12).fit(X, y)
    est = GDRegressor(optimizer="adam", lr=0.05)
    for _ in range(3000):
        est.partial_fit(X, y)
    np.testing.assert_allclose(est.coef_, exact.coef_, atol=1e-6)
    np.testing.assert_allclose(est.intercept_, exact.intercept_, atol=1e-6)


def test_classifier_classes_handling():
    X, y = _classes()
    est = GDClassifier(optimizer="adam", lr=0.1)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    est.partial_fit(X, y, classes=["c", "a", "b"])
    np.testing.assert_array_equal(est.classes_, ["a", "b", "c"])
    assert est.coef_.shape == (3, 2)
    np.testing.assert_array_equal(np.unique(est.predict(X)), ["a", "b", "c"])
    # Each call needs rows of every class (the core counts classes from the rows).
    two = y != "c"
    with pytest.raises(ValueError, match=r"no label \['c'\]"):
        est.partial_fit(X[two], y[two])
    est.partial_fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y, classes=["a", "b"])
    with pytest.raises(ValueError, match="not in classes"):
        est.partial_fit(X, np.where(y == "a", "z", y))


@pytest.mark.parametrize("optimizer", ["lbfgs", "newton", "cg"])
def test_a_solver_raises_naming_optimizer(optimizer):
    X, y = _regression()
    with pytest.raises(ValueError, match="optimizer="):
        GDRegressor(optimizer=optimizer).partial_fit(X, y)


def test_auto_steps_as_gd():
    X, y = _regression()
    auto = GDRegressor(optimizer="auto", standardize=False).partial_fit(X, y)
    gd = GDRegressor(optimizer="gd", standardize=False).partial_fit(X, y)
    np.testing.assert_array_equal(auto.coef_, gd.coef_)
    assert auto.optimizer_ == "gd"


def test_after_fit_partial_fit_continues_from_its_coefficients():
    X, y = _regression()
    # Without standardising: one more epoch equals a warm-started fit of one epoch.
    with pytest.warns(Warning):
        est = GDRegressor(max_iter=3, standardize=False).fit(X, y)
    with pytest.warns(Warning):
        warm = GDRegressor(**est.get_params()).fit(X, y)
        warm.set_params(warm_start=True, max_iter=1).fit(X, y)
    est.partial_fit(X, y)
    np.testing.assert_array_equal(est.coef_, warm.coef_)
    np.testing.assert_array_equal(est.intercept_, warm.intercept_)
    # Standardised: a step of almost nothing leaves fit's model, back through the basis.
    with pytest.warns(Warning):
        est = GDRegressor(max_iter=3).fit(X, y)
    before = est.coef_.copy(), est.intercept_.copy()
    est.set_params(lr=1e-300).partial_fit(X, y)
    np.testing.assert_allclose(est.coef_, before[0], rtol=1e-12)
    np.testing.assert_allclose(est.intercept_, before[1], rtol=1e-12)
    assert not np.allclose(GDRegressor().partial_fit(X, y).coef_, before[0])


def test_fit_after_partial_fit_starts_a_new_run():
    X, y = _regression()
    est = GDRegressor(optimizer="adam", lr=0.05, standardize=False)
    est.partial_fit(X, y).partial_fit(X, y)
    with pytest.warns(Warning):
        est.set_params(max_iter=3).fit(X, y)
    with pytest.warns(Warning):
        fresh = GDRegressor(**est.get_params()).fit(X, y)
    np.testing.assert_array_equal(est.coef_, fresh.coef_)
