"""Run a NumPy reference optimizer and its torch twin side by side on the same gradients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import DTypeLike, NDArray

from . import references as ref

Array = NDArray[np.floating]

OPTIMIZERS: tuple[str, ...] = ("gd", "momentum", "rmsprop", "adam", "adamw", "lion")

# Deliberately not the library defaults, so that a swapped or ignored hyperparameter shows.
DEFAULT_HPARAMS: dict[str, dict[str, float]] = {
    "gd": {"lr": 0.05},
    "momentum": {"lr": 0.02, "beta": 0.8},
    "rmsprop": {"lr": 0.01, "beta": 0.95, "eps": 1e-6},
    "adam": {"lr": 0.01, "beta1": 0.85, "beta2": 0.995, "eps": 1e-7},
    "adamw": {"lr": 0.01, "beta1": 0.85, "beta2": 0.995, "eps": 1e-7, "weight_decay": 0.05},
    "lion": {"lr": 0.003, "beta1": 0.9, "beta2": 0.98, "weight_decay": 0.1},
}

# State arrays of each reference, in the order its step function takes and returns them.
STATE_NAMES: dict[str, tuple[str, ...]] = {
    "gd": (),
    "momentum": ("velocity",),
    "rmsprop": ("cache",),
    "adam": ("m", "v"),
    "adamw": ("m", "v"),
    "lion": ("m",),
}

# Where torch (and lion-pytorch) keep the same state: optimizer.state[param][key].
TORCH_STATE_KEYS: dict[str, str] = {
    "velocity": "momentum_buffer",
    "cache": "square_avg",
    "m": "exp_avg",
    "v": "exp_avg_sq",
}


@dataclass(frozen=True)
class Trajectory:
    """params[k] and state[name][k] hold the values after step k + 1, for k = 0 .. steps - 1."""

    params: Array
    state: dict[str, Array]


def make_gradients(
    shape: tuple[int, ...], steps: int, seed: int, dtype: DTypeLike = np.float64
) -> Array:
    """A fixed, seeded sequence of gradients, shape (steps, *shape), meant to stress the state.

    Each step has its own scale, log-uniform over [1e-9, 1e2] (a few steps exactly 1e-9-sized),
    about 15% of the entries are exact zeros, a quarter of the coordinates (at least one) get
    exactly zero gradient for the first 20 steps (so Lion sees sign(0) with m = 0 too), and
    step 50 is all zeros.
    """
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.uniform(-9.0, 2.0, size=steps)
    scales[rng.choice(steps, size=max(1, steps // 20), replace=False)] = 1e-9
    grads = rng.standard_normal((steps, *shape)) * scales.reshape((steps,) + (1,) * len(shape))
    grads[rng.random(grads.shape) < 0.15] = 0.0
    late = rng.random(shape) < 0.25
    late.flat[rng.integers(late.size)] = True
    grads[:20, late] = 0.0
    if steps > 50:
        grads[50] = 0.0
    return grads.astype(dtype)


def run_reference(
    name: str, params0: Array, grads: Array, hparams: Mapping[str, float]
) -> Trajectory:
    """Apply the NumPy reference `name` once per gradient, starting from params0 and zero state."""
    p = np.array(params0, copy=True)
    state = {s: np.zeros_like(p) for s in STATE_NAMES[name]}
    params_out, state_out = [], {s: [] for s in state}
    hp = dict(hparams)
    for t, g in enumerate(grads, start=1):
        if name == "gd":
            p = ref.gd_step(p, g, **hp)
        elif name == "momentum":
            p, state["velocity"] = ref.momentum_step(p, g, state["velocity"], **hp)
        elif name == "rmsprop":
            p, state["cache"] = ref.rmsprop_step(p, g, state["cache"], **hp)
        elif name == "adam":
            p, state["m"], state["v"] = ref.adam_step(p, g, state["m"], state["v"], t, **hp)
        elif name == "adamw":
            p, state["m"], state["v"] = ref.adamw_step(p, g, state["m"], state["v"], t, **hp)
        elif name == "lion":
            p, state["m"] = ref.lion_step(p, g, state["m"], **hp)
        else:
            raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")
        params_out.append(np.array(p, copy=True))
        for s in state:
            state_out[s].append(np.array(state[s], copy=True))
    return Trajectory(np.stack(params_out), {s: np.stack(v) for s, v in state_out.items()})


def make_torch_optimizer(
    name: str, param: torch.Tensor, hparams: Mapping[str, float]
) -> torch.optim.Optimizer:
    """The torch.optim (or lion_pytorch) optimizer that `name`'s reference should match."""
    hp = dict(hparams)
    lr = hp["lr"]
    if name == "gd":
        return torch.optim.SGD([param], lr=lr, momentum=0.0, weight_decay=0.0, foreach=False)
    if name == "momentum":
        return torch.optim.SGD(
            [param],
            lr=lr,
            momentum=hp["beta"],
            dampening=0.0,
            nesterov=False,
            weight_decay=0.0,
            foreach=False,
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(
            [param],
            lr=lr,
            alpha=hp.get("beta", 0.9),
            eps=hp.get("eps", 1e-8),
            weight_decay=0.0,
            momentum=0.0,
            centered=False,
            foreach=False,
        )
    if name in ("adam", "adamw"):
        betas = (hp.get("beta1", 0.9), hp.get("beta2", 0.999))
        eps = hp.get("eps", 1e-8)
        if name == "adam":
            return torch.optim.Adam(
                [param], lr=lr, betas=betas, eps=eps, weight_decay=0.0, foreach=False
            )
        return torch.optim.AdamW(
            [param],
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=hp.get("weight_decay", 0.01),
            foreach=False,
        )
    if name == "lion":
        from lion_pytorch import Lion

        return Lion(
            [param],
            lr=lr,
            betas=(hp.get("beta1", 0.9), hp.get("beta2", 0.99)),
            weight_decay=hp.get("weight_decay", 0.0),
        )
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")


def run_torch(name: str, params0: Array, grads: Array, hparams: Mapping[str, float]) -> Trajectory:
    """Run the torch twin of `name`, setting p.grad to each gradient by hand before opt.step()."""
    param = torch.nn.Parameter(torch.from_numpy(np.array(params0, copy=True)))
    opt = make_torch_optimizer(name, param, hparams)
    params_out: list[Array] = []
    state_out: dict[str, list[Array]] = {s: [] for s in STATE_NAMES[name]}
    for g in grads:
        param.grad = torch.from_numpy(np.array(g, copy=True))
        opt.step()
        params_out.append(param.detach().numpy().copy())
        for s in state_out:
            state_out[s].append(opt.state[param][TORCH_STATE_KEYS[s]].detach().numpy().copy())
    return Trajectory(np.stack(params_out), {s: np.stack(v) for s, v in state_out.items()})


def relative_deviation_per_step(ours: Array, theirs: Array) -> NDArray[np.float64]:
    """For each step k: max|ours[k] - theirs[k]| / max(max|theirs[k]|, tiny), in float64."""
    a = np.asarray(ours, dtype=np.float64).reshape(len(ours), -1)
    b = np.asarray(theirs, dtype=np.float64).reshape(len(theirs), -1)
    scale = np.maximum(np.abs(b).max(axis=1), np.finfo(np.float64).tiny)
    return np.abs(a - b).max(axis=1) / scale


def max_relative_deviations(ours: Trajectory, theirs: Trajectory) -> dict[str, float]:
    """The largest per-step relative deviation over the trajectory, for params and each state."""
    out = {"params": float(relative_deviation_per_step(ours.params, theirs.params).max())}
    for s, arr in ours.state.items():
        out[s] = float(relative_deviation_per_step(arr, theirs.state[s]).max())
    return out
