"""Run a NumPy reference optimizer and its torch twin side by side on the same gradients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import DTypeLike, NDArray

from autograder.kit.update_rules import UpdateRule, rule_for, run_rule
from optimlab import registry

Array = NDArray[np.floating]

OPTIMIZERS: tuple[str, ...] = registry.KEYS

# Deliberately not the library defaults, so that a swapped or ignored hyperparameter shows.
DEFAULT_HPARAMS: dict[str, dict[str, float]] = {
    "sgd": {"lr": 0.05},
    "momentum": {"lr": 0.02, "beta": 0.8},
    "rmsprop": {"lr": 0.01, "beta": 0.95, "eps": 1e-6},
    "adam": {"lr": 0.01, "beta1": 0.85, "beta2": 0.995, "eps": 1e-7},
    "adamw": {"lr": 0.01, "beta1": 0.85, "beta2": 0.995, "eps": 1e-7, "weight_decay": 0.05},
    "lion": {"lr": 0.003, "beta1": 0.9, "beta2": 0.98, "weight_decay": 0.1},
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
    return run_rule_reference(rule_for(registry.get(name).step_function), params0, grads, hparams)


def run_rule_reference(
    rule: UpdateRule, params0: Array, grads: Array, hparams: Mapping[str, float]
) -> Trajectory:
    """The same for any update rule, also one outside the registry (Nesterov, Adagrad)."""
    p = np.array(params0, copy=True)
    state = [np.zeros_like(p) for _ in rule.state]
    steps = run_rule(rule.reference, rule, p, list(grads), dict(hparams), state, student=False)
    return Trajectory(
        np.stack([out[0] for out in steps]),
        {s: np.stack([out[k + 1] for out in steps]) for k, s in enumerate(rule.state)},
    )


def make_torch_optimizer(
    name: str, param: torch.Tensor, hparams: Mapping[str, float]
) -> torch.optim.Optimizer:
    """The torch.optim (or lion_pytorch) optimizer that `name`'s reference should match."""
    return registry.get(name).make_torch([param], foreach=False, **hparams)


def run_torch(name: str, params0: Array, grads: Array, hparams: Mapping[str, float]) -> Trajectory:
    """Run the torch twin of `name`, setting p.grad to each gradient by hand before opt.step()."""
    return run_torch_optimizer(
        lambda param: make_torch_optimizer(name, param, hparams),
        registry.get(name).torch_state,
        params0,
        grads,
    )


def run_torch_optimizer(
    make: Callable[[torch.Tensor], torch.optim.Optimizer],
    torch_state: Mapping[str, str],
    params0: Array,
    grads: Array,
) -> Trajectory:
    """The same for any optimizer ``make(param)`` builds; ``torch_state`` maps the course's state
    names to the keys of ``optimizer.state[param]``."""
    param = torch.nn.Parameter(torch.from_numpy(np.array(params0, copy=True)))
    opt = make(param)
    params_out: list[Array] = []
    state_out: dict[str, list[Array]] = {s: [] for s in torch_state}
    for g in grads:
        param.grad = torch.from_numpy(np.array(g, copy=True))
        opt.step()
        params_out.append(param.detach().numpy().copy())
        for s in state_out:
            state_out[s].append(opt.state[param][torch_state[s]].detach().numpy().copy())
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
