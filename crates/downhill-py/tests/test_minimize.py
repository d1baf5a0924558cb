import numpy as np
import pytest

import downhill


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def test_a_callable_with_its_gradient_reaches_rosenbrocks_minimum():
    r = downhill.minimize(lambda x: (rosen(x), rosen_grad(x)), [-1.2, 1.0], jac=True)
    assert r.success and r.status == 0
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-8)
    assert r.fun < 1e-16
    assert np.linalg.norm(r.jac) < 1e-6
    assert r.nit > 0 and r.nfev >= r.nit


def test_a_callable_jac():
    r = downhill.minimize(rosen, np.array([-1.2, 1.0]), jac=rosen_grad, optimizer="newton")
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-8)


def test_a_callable_without_a_gradient_is_refused():
    with pytest.raises(ValueError, match="jac=True"):
        downhill.minimize(rosen, [0.0, 0.0])


def test_a_formula_reaches_rosenbrocks_minimum_in_rust():
    r = downhill.minimize("(1-x)^2 + 100*(y-x^2)^2", [-1.2, 1.0], path=True)
    assert r.success
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-8)
    assert r.path.shape == (r.nit + 1, 2)
    np.testing.assert_array_equal(r.path[0], [-1.2, 1.0])
    np.testing.assert_array_equal(r.path[-1], r.x)
    assert r.path_values[-1] == pytest.approx(r.fun, abs=1e-20)
    assert r.vars == ["x", "y"]


def test_a_formula_and_the_same_callable_take_the_same_steps():
    f = downhill.minimize("(a-2)^2 + 3*(b+1)^2", [0.0, 0.0], optimizer="adam", lr=0.05)

    def fun(x):
        return (x[0] - 2) ** 2 + 3 * (x[1] + 1) ** 2, np.array([2 * (x[0] - 2), 6 * (x[1] + 1)])

    c = downhill.minimize(fun, [0.0, 0.0], jac=True, optimizer="adam", lr=0.05)
    assert f.nit == c.nit
    np.testing.assert_allclose(f.x, c.x, rtol=1e-12)


def test_an_exception_inside_fun_propagates_unchanged():
    class Boom(Exception):
        pass

    err = Boom("from fun")

    def fun(x):
        if x[0] > 0.5:
            raise err
        return (x[0] - 1) ** 2, np.array([2 * (x[0] - 1)])

    with pytest.raises(Boom) as info:
        downhill.minimize(fun, [0.0], jac=True, optimizer="gd", lr=0.1)
    assert info.value is err


def test_bad_settings_are_value_errors_with_the_cli_message():
    with pytest.raises(ValueError, match="--momentum"):
        downhill.minimize("x^2", optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match="unknown"):
        downhill.minimize("rosenbrok")


def test_compare_races_as_the_cli():
    report = downhill.compare("rosenbrock", ["gd", "adam", "lbfgs"], max_iter=20000)
    labels = [r["label"] for r in report["runs"]]
    assert labels[2] == "lbfgs" and labels[0].startswith("gd (lr")
    lbfgs = report["runs"][2]
    assert lbfgs["converged"]
    assert lbfgs["point"]["x"] == pytest.approx(1.0, abs=1e-6)
    assert report["minimum"] == 0.0
