"""Type stubs of the compiled module ``downhill._core`` (type conversion only)."""

from typing import Any, Callable, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

def fit(
    x: Union[npt.NDArray[np.float64], npt.NDArray[np.float32]],
    y: npt.NDArray[np.float64],
    spec: str,
    features: Sequence[str],
    target: str,
    classes: Optional[Sequence[str]] = None,
    sample_weight: Optional[npt.NDArray[np.float64]] = None,
) -> str:
    """Fit the model a run description (JSON) describes; the model file and outcome as JSON.

    ``x``: a C-contiguous array is read in place (no copy), with the interpreter released.

    ``sample_weight``: one weight per row (a weighted mean of the rows' losses).
    """

def partial_fit(
    x: Union[npt.NDArray[np.float64], npt.NDArray[np.float32]],
    y: npt.NDArray[np.float64],
    spec: str,
    features: Sequence[str],
    target: str,
    classes: Optional[Sequence[str]] = None,
    sample_weight: Optional[npt.NDArray[np.float64]] = None,
    state: Optional[str] = None,
) -> str:
    """One more epoch of ``fit``; its answer with the new state under ``"state"``.

    ``state``: the JSON a previous call returned (``None``: the first epoch).
    """

def save(path: str, model: str) -> None:
    """Check a model file (JSON) and write it to ``path``."""

def load(path: str) -> str:
    """Read and check the model file at ``path``; return it as JSON."""

def minimize_formula(
    formula: str,
    x0: Optional[Sequence[float]],
    spec: str,
    vars: Optional[Sequence[str]] = None,
    path: bool = False,
) -> str:
    """Minimise a formula or named function in Rust; the result as JSON."""

def minimize_callable(
    fun: Callable[..., Any],
    x0: Sequence[float],
    spec: str,
    jac: Union[bool, Callable[..., Any], None],
    path: bool = False,
) -> str:
    """Minimise a Python function; the result as JSON."""

def compare(
    function: str,
    optimizers: Sequence[str],
    spec: str,
    x0: Optional[Sequence[float]] = None,
    lrs: Optional[Sequence[Optional[float]]] = None,
    vars: Optional[Sequence[str]] = None,
    tol: float = 1e-6,
) -> str:
    """Race optimizers on a formula; the report of ``downhill compare --json`` as JSON."""

def optimizer_names() -> List[str]:
    """Every optimizer's name."""

def default_lr(name: str) -> float:
    """The learning rate an optimizer runs at when none is given."""

class Optimizer:
    """An update rule by name, stepping a float64 array in place."""

    def __init__(
        self,
        name: str,
        momentum: Optional[float] = None,
        beta1: Optional[float] = None,
        beta2: Optional[float] = None,
        eps: Optional[float] = None,
        rho: Optional[float] = None,
        weight_decay: Optional[float] = None,
    ) -> None: ...
    def step(
        self, params: npt.NDArray[np.float64], grad: npt.NDArray[np.float64], lr: float
    ) -> None:
        """Update ``params`` in place against ``grad`` at learning rate ``lr``."""
    def reset(self) -> None:
        """Forget the state."""
    @property
    def name(self) -> str:
        """The rule's name."""
