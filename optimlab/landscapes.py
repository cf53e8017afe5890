"""Two-parameter loss landscapes for watching optimizers move: function, gradient, minimum, view.

Every function takes points with a last axis of length 2 (one point ``[x, y]`` or a whole grid)
and works elementwise over the other axes, so the same code draws contours and takes steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Landscape:
    """A loss surface: ``value(p)``, ``grad(p)``, where the minimum is, and a good view of it."""

    name: str
    value: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    minimum: tuple[float, float] | None
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    description: str = ""
    log_levels: bool = True
    extras: dict[str, float] = field(default_factory=dict)

    def __call__(self, point: ArrayLike) -> Array:
        return self.value(np.asarray(point, dtype=float))

    @property
    def min_value(self) -> float | None:
        """The loss at the minimum (None for a landscape without one, like a saddle)."""
        return None if self.minimum is None else float(self.value(np.array(self.minimum)))


def _split(p: Array) -> tuple[Array, Array]:
    p = np.asarray(p, dtype=float)
    if p.shape[-1] != 2:
        raise ValueError(f"points need a last axis of length 2 ([x, y]), got shape {p.shape}")
    return p[..., 0], p[..., 1]


def quadratic(a: float = 1.0, b: float = 20.0) -> Landscape:
    """f = (a x^2 + b y^2) / 2: a bowl, and a narrow valley when b >> a (condition number b/a)."""

    def value(p: Array) -> Array:
        x, y = _split(p)
        return 0.5 * (a * x**2 + b * y**2)

    def grad(p: Array) -> Array:
        x, y = _split(p)
        return np.stack([a * x, b * y], axis=-1)

    return Landscape(
        name=f"narrow valley (a={a:g}, b={b:g})",
        value=value,
        grad=grad,
        minimum=(0.0, 0.0),
        start=(-4.5, 1.5),
        xlim=(-5.0, 5.0),
        ylim=(-2.0, 2.0),
        description="ill-conditioned quadratic: steep across the valley, shallow along it",
        extras={"a": a, "b": b},
    )


def plateau(width: float = 1.0) -> Landscape:
    """f = 1 - exp(-(x^2 + y^2) / (2 w^2)): a single well surrounded by an almost flat plain."""

    def value(p: Array) -> Array:
        x, y = _split(p)
        return 1.0 - np.exp(-(x**2 + y**2) / (2 * width**2))

    def grad(p: Array) -> Array:
        x, y = _split(p)
        bump = np.exp(-(x**2 + y**2) / (2 * width**2)) / width**2
        return np.stack([x * bump, y * bump], axis=-1)

    return Landscape(
        name="plateau",
        value=value,
        grad=grad,
        minimum=(0.0, 0.0),
        start=(3.2, 2.4),
        xlim=(-4.0, 4.0),
        ylim=(-4.0, 4.0),
        description="gradients are tiny far from the well, so plain steps crawl",
        log_levels=False,
        extras={"width": width},
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    """f = (a - x)^2 + b (y - x^2)^2: a curved, flat valley with its minimum at (a, a^2)."""

    def value(p: Array) -> Array:
        x, y = _split(p)
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def grad(p: Array) -> Array:
        x, y = _split(p)
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], axis=-1)

    return Landscape(
        name="Rosenbrock",
        value=value,
        grad=grad,
        minimum=(a, a**2),
        start=(-1.5, 2.0),
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
        description="a curved banana-shaped valley: easy to find, slow to follow",
        extras={"a": a, "b": b},
    )


def saddle() -> Landscape:
    """f = (x^2 - y^2) / 2 + y^4 / 4: a saddle at the origin and two minima at (0, +-1)."""

    def value(p: Array) -> Array:
        x, y = _split(p)
        return 0.5 * (x**2 - y**2) + 0.25 * y**4

    def grad(p: Array) -> Array:
        x, y = _split(p)
        return np.stack([x, -y + y**3], axis=-1)

    return Landscape(
        name="saddle",
        value=value,
        grad=grad,
        minimum=(0.0, 1.0),
        start=(2.0, 1e-3),
        xlim=(-2.5, 2.5),
        ylim=(-1.8, 1.8),
        description="starting almost on the ridge, an optimizer must escape the saddle point",
        log_levels=False,
    )


def noisy(
    base: Landscape,
    noise: float = 1.0,
    rng: np.random.Generator | int | None = 0,
    shared: bool = False,
) -> Landscape:
    """``base`` with stochastic gradients: the gradient plus Gaussian noise, like a minibatch's.

    ``value`` and ``minimum`` are the base landscape's (the true loss); ``grad(p)`` returns
    ``base.grad(p) + noise * z`` with ``z`` standard normal, one draw per coordinate of every
    point, taken from ``rng``. The noise is unbiased, so its average over many calls is the true
    gradient, and its standard deviation in each coordinate is ``noise``.

    ``rng`` is a ``np.random.Generator`` or a seed for one. Every call to ``grad`` draws from it,
    so the noise depends on how many calls came before: to give several optimizers the same
    noise, build one noisy landscape per optimizer with the same seed.

    With ``shared=True`` a call draws one ``[x, y]`` of noise and adds it to every point it is
    given: a stack of runs stepped together then sees, run by run, the noise that one run alone
    would see (a single point gets the same draws either way).
    """
    if noise < 0:
        raise ValueError(f"the noise level is a standard deviation, >= 0; got {noise}")
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def grad(p: Array) -> Array:
        exact = base.grad(p)
        return exact + noise * generator.standard_normal(
            exact.shape[-1:] if shared else exact.shape
        )

    return Landscape(
        name=f"noisy {base.name}",
        value=base.value,
        grad=grad,
        minimum=base.minimum,
        start=base.start,
        xlim=base.xlim,
        ylim=base.ylim,
        description=f"{base.description}, with Gaussian noise (std {noise:g}) in every gradient",
        log_levels=base.log_levels,
        extras={**base.extras, "noise": noise},
    )
