import numpy as np
import pytest

import downhill
from downhill.optim import SGD, Adam, Momentum


def test_sgd_step_is_the_textbook_update_in_place():
    p = np.array([1.0, -2.0])
    before = p
    SGD(lr=0.5).step(p, np.array([2.0, 4.0]))
    assert p is before
    np.testing.assert_array_equal(p, [0.0, -4.0])


def test_adam_first_step_moves_each_parameter_by_lr():
    p = np.array([1.0, 1.0, 1.0])
    Adam(lr=1e-3).step(p, np.array([0.3, -5.0, 1e3]))
    np.testing.assert_allclose(p, [1 - 1e-3, 1 + 1e-3, 1 - 1e-3], rtol=1e-6)


def test_a_users_loop_reaches_the_minimum():
    p = np.array([3.0, -2.0])
    opt = Momentum(lr=0.05, momentum=0.9)
    for _ in range(500):
        opt.step(p, 2 * (p - np.array([1.0, 2.0])))
    np.testing.assert_allclose(p, [1.0, 2.0], atol=1e-8)


def test_wrong_inputs_are_refused():
    with pytest.raises(TypeError):
        Adam().step(np.array([1.0], dtype=np.float32), np.array([1.0]))
    opt = Adam()
    opt.step(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="reset"):
        opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="--rho"):
        downhill.optim.Optimizer.__init__(Adam.__new__(Adam), rho=0.9)
