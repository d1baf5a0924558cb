"""downhill: gradient descent on a Rust core, as scikit-learn estimators and ``minimize``.

``GDRegressor`` and ``GDClassifier`` fit linear, logistic and softmax models with every
optimizer, schedule, loss and penalty of the ``downhill`` command line; ``minimize`` and
``compare`` descend functions; ``downhill.optim`` holds the update rules for a loop of your
own; ``load`` reads a model file written by ``downhill fit -o`` or by ``save``.
"""

from downhill import optim
from downhill._core import __version__
from downhill._estimators import GDClassifier, GDRegressor
from downhill._minimize import OptimizeResult, compare, minimize
from downhill._model import load

__all__ = [
    "GDClassifier",
    "GDRegressor",
    "OptimizeResult",
    "__version__",
    "compare",
    "load",
    "minimize",
    "optim",
]
