"""downhill's update rules for a loop of your own.

Each class keeps its state (moments, velocities) between calls of ``step``, which updates a
float64 NumPy array in place::

    opt = downhill.optim.Adam(lr=1e-3)
    for _ in range(1000):
        opt.step(params, grad_of(params))
"""

from typing import Optional

import numpy as np

from downhill import _core

__all__ = [
    "SGD",
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "AdaMax",
    "AdamW",
    "AMSGrad",
    "Momentum",
    "Nadam",
    "Nesterov",
    "Optimizer",
    "RMSProp",
]


class Optimizer:
    """An update rule by ``name`` at learning rate ``lr`` (its default when ``None``)."""

    _name = "gd"

    def __init__(self, lr: Optional[float] = None, **hyper: Optional[float]):
        self._rule = _core.Optimizer(self._name, **hyper)
        self.lr = _default_lr(self._name) if lr is None else float(lr)
        self.hyper = hyper

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        """Update ``params`` (a contiguous float64 array) in place against ``grad``."""
        self._rule.step(params, np.ascontiguousarray(grad, dtype=np.float64), self.lr)

    def reset(self) -> None:
        """Forget the state: the next step starts afresh."""
        self._rule.reset()

    def __repr__(self) -> str:
        """Name and settings."""
        extra = "".join(f", {k}={v}" for k, v in self.hyper.items() if v is not None)
        return f"{type(self).__name__}(lr={self.lr}{extra})"


def _default_lr(name: str) -> float:
    return _core.default_lr(name)


class SGD(Optimizer):
    """Plain gradient descent: ``params -= lr * grad``."""

    _name = "gd"

    def __init__(self, lr: Optional[float] = None):
        super().__init__(lr)


class Momentum(Optimizer):
    """Gradient descent with momentum ``momentum``."""

    _name = "momentum"

    def __init__(self, lr: Optional[float] = None, momentum: Optional[float] = None):
        super().__init__(lr, momentum=momentum)


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient."""

    _name = "nesterov"

    def __init__(self, lr: Optional[float] = None, momentum: Optional[float] = None):
        super().__init__(lr, momentum=momentum)


class AdaGrad(Optimizer):
    """AdaGrad: rates divided by the root of the summed squared gradients."""

    _name = "adagrad"

    def __init__(self, lr: Optional[float] = None, eps: Optional[float] = None):
        super().__init__(lr, eps=eps)


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler)."""

    _name = "adadelta"

    def __init__(
        self, lr: Optional[float] = None, rho: Optional[float] = None, eps: Optional[float] = None
    ):
        super().__init__(lr, rho=rho, eps=eps)


class RMSProp(Optimizer):
    """RMSProp: rates divided by a running root mean square of the gradients."""

    _name = "rmsprop"

    def __init__(
        self, lr: Optional[float] = None, rho: Optional[float] = None, eps: Optional[float] = None
    ):
        super().__init__(lr, rho=rho, eps=eps)


class _AdamFamily(Optimizer):
    def __init__(
        self,
        lr: Optional[float] = None,
        beta1: Optional[float] = None,
        beta2: Optional[float] = None,
        eps: Optional[float] = None,
    ):
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps)


class Adam(_AdamFamily):
    """Adam (Kingma and Ba)."""

    _name = "adam"


class AdaMax(_AdamFamily):
    """AdaMax: Adam with the infinity norm."""

    _name = "adamax"


class Nadam(_AdamFamily):
    """Nadam: Adam with Nesterov momentum."""

    _name = "nadam"


class AMSGrad(_AdamFamily):
    """AMSGrad: Adam with a non-increasing second moment."""

    _name = "amsgrad"


class AdamW(Optimizer):
    """AdamW: Adam with decoupled weight decay."""

    _name = "adamw"

    def __init__(
        self,
        lr: Optional[float] = None,
        beta1: Optional[float] = None,
        beta2: Optional[float] = None,
        eps: Optional[float] = None,
        weight_decay: Optional[float] = None,
    ):
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
