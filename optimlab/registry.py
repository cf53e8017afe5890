"""The course's optimizers, described once: every other table in the course derives from this one.

Each optimizer has one key, spelled the same way everywhere (``"sgd"``, ``"momentum"``,
``"rmsprop"``, ``"adam"``, ``"adamw"``, ``"lion"``), a display name for plots and tables, the name
of the NumPy step function students write, the seed's typical hyperparameters in the course's
names, the state it keeps between steps, and how to build the library optimizer that people use
(``torch.optim``, or ``lion-pytorch`` for Lion) with the course's hyperparameters translated to the
library's arguments.

The course's conventions, stated once:

- momentum is ``v = beta*v + g`` (torch's SGD with ``dampening=0``), not the EMA form;
- RMSprop's ``beta`` is torch's ``alpha``; eps sits outside the square root (as in torch);
- Adam's and AdamW's step counter ``t`` starts at 1, on the first call;
- AdamW decays the *old* parameter by ``lr * weight_decay`` (torch's decoupled decay);
- Lion takes the sign of ``beta1*m + (1-beta1)*g`` *before* it updates ``m`` with ``beta2``.

Nothing here computes an update, so this module is safe to hand to students.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OptimizerInfo:
    """One optimizer of the course: names, hyperparameters, state, and its library twin."""

    key: str  # the one spelling used in code: "adam"
    name: str  # for people (plots, tables) and the class students write in notebook 09: "Adam"
    step_function: str  # the NumPy update students write in notebooks 01-07: "adam_step"
    defaults: dict[str, float]  # the seed's typical values, lr included, in signature order
    state: tuple[str, ...] = ()  # arrays kept between steps, in the step function's order
    torch_state: dict[str, str] = field(default_factory=dict)  # course state name -> torch key
    takes_step_count: bool = False  # whether the step function takes t (starting at 1)

    @property
    def hyperparameters(self) -> dict[str, float]:
        """Every default except the learning rate."""
        return {k: v for k, v in self.defaults.items() if k != "lr"}

    def make_torch(self, params: Iterable[Any], foreach: bool | None = None, **hyper: float) -> Any:
        """The library optimizer for ``params`` with the defaults, ``hyper`` on top.

        ``hyper`` uses the course's names (``lr``, ``beta``, ``beta1``, ``beta2``, ``eps``,
        ``weight_decay``); an unknown name raises ValueError. ``foreach`` is passed to
        ``torch.optim`` (``False`` is the plain per-tensor loop, the most exact).
        """
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise ValueError(f"{self.name} has no hyperparameter {sorted(unknown)}")
        hp = {**self.defaults, **hyper}
        return _TORCH_BUILDERS[self.key](list(params), hp, {"foreach": foreach})


def _sgd(params: list[Any], hp: Mapping[str, float], extra: dict[str, Any]) -> Any:
    import torch

    return torch.optim.SGD(params, lr=hp["lr"], momentum=0.0, weight_decay=0.0, **extra)


def _momentum(params: list[Any], hp: Mapping[str, float], extra: dict[str, Any]) -> Any:
    import torch

    return torch.optim.SGD(
        params, lr=hp["lr"], momentum=hp["beta"], dampening=0.0, nesterov=False, **extra
    )


def _rmsprop(params: list[Any], hp: Mapping[str, float], extra: dict[str, Any]) -> Any:
    import torch

    return torch.optim.RMSprop(
        params, lr=hp["lr"], alpha=hp["beta"], eps=hp["eps"], momentum=0.0, centered=False, **extra
    )


def _adam(params: list[Any], hp: Mapping[str, float], extra: dict[str, Any]) -> Any:
    import torch

    betas = (hp["beta1"], hp["beta2"])
    return torch.optim.Adam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], **extra)


def _adamw(params: list[Any], hp: Mapping[str, float], extra: dict[str, Any]) -> Any:
    import torch

    betas = (hp["beta1"], hp["beta2"])
    return torch.optim.AdamW(
        params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=hp["weight_decay"], **extra
    )


def _lion(params: list[Any], hp: Mapping[str, float], extra: dict[str, Any]) -> Any:
    from lion_pytorch import Lion  # lion-pytorch has no foreach switch

    betas = (hp["beta1"], hp["beta2"])
    return Lion(params, lr=hp["lr"], betas=betas, weight_decay=hp["weight_decay"])


_TORCH_BUILDERS = {
    "sgd": _sgd,
    "momentum": _momentum,
    "rmsprop": _rmsprop,
    "adam": _adam,
    "adamw": _adamw,
    "lion": _lion,
}

_ADAM_STATE = {"m": "exp_avg", "v": "exp_avg_sq"}

OPTIMIZERS: dict[str, OptimizerInfo] = {
    info.key: info
    for info in [
        OptimizerInfo("sgd", "SGD", "gd_step", {"lr": 0.01}),
        OptimizerInfo(
            "momentum",
            "Momentum",
            "momentum_step",
            {"lr": 0.01, "beta": 0.9},
            ("velocity",),
            {"velocity": "momentum_buffer"},
        ),
        OptimizerInfo(
            "rmsprop",
            "RMSprop",
            "rmsprop_step",
            {"lr": 0.001, "beta": 0.9, "eps": 1e-8},
            ("cache",),
            {"cache": "square_avg"},
        ),
        OptimizerInfo(
            "adam",
            "Adam",
            "adam_step",
            {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
            ("m", "v"),
            _ADAM_STATE,
            takes_step_count=True,
        ),
        OptimizerInfo(
            "adamw",
            "AdamW",
            "adamw_step",
            {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
            ("m", "v"),
            _ADAM_STATE,
            takes_step_count=True,
        ),
        # Lion's weight decay is off by default (as in lion-pytorch), so it shows the sign alone.
        OptimizerInfo(
            "lion",
            "Lion",
            "lion_step",
            {"lr": 0.0001, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0},
            ("m",),
            {"m": "exp_avg"},
        ),
    ]
}

KEYS: tuple[str, ...] = tuple(OPTIMIZERS)


def get(key: str) -> OptimizerInfo:
    """The optimizer called ``key``; a clear ValueError names the known keys otherwise."""
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {key!r}; expected one of {list(KEYS)}")
    return OPTIMIZERS[key]


def by_step_function(step_function: str) -> OptimizerInfo:
    """The optimizer whose NumPy update is called ``step_function`` (e.g. "adam_step")."""
    for info in OPTIMIZERS.values():
        if info.step_function == step_function:
            return info
    names = [info.step_function for info in OPTIMIZERS.values()]
    raise ValueError(f"unknown update rule {step_function!r}; expected one of {names}")


def by_name(name: str) -> OptimizerInfo:
    """The optimizer whose display (and notebook 09 class) name is ``name`` (e.g. "Adam")."""
    for info in OPTIMIZERS.values():
        if info.name == name:
            return info
    raise ValueError(f"unknown optimizer {name!r}; expected one of {names()}")


def names() -> list[str]:
    return [info.name for info in OPTIMIZERS.values()]
