"""Hidden tests for the update rules (notebooks 01-07): trajectories, shapes, edge cases, purity.

Each ``check_*`` function is one graded property, so a notebook gives one test cell to each and
a student earns partial credit for the properties their code has. Call them as
``check_trajectory(adam_step, "adam_step")``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder import references as ref
from autograder.kit.core import (
    Mistake,
    as_outputs,
    call,
    copy_args,
    explain_mismatch,
    fail,
    matches,
    quiet,
    tolerance,
)
from autograder.kit.core import (
    check_inputs_unchanged as check_inputs_unchanged_kit,
)
from autograder.kit.rule_mistakes import MISTAKES
from optimlab import registry


@dataclass(frozen=True)
class UpdateRule:
    """How to call one update rule: its state arrays, whether it takes t, its hyperparameters."""

    name: str
    reference: Callable[..., Any]
    state: tuple[str, ...]
    takes_step_count: bool
    hyper: dict[str, float]
    mistakes: tuple[Mistake, ...] = field(default_factory=tuple)

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("new_params", *(f"new_{s}" for s in self.state))

    def arguments(
        self, params: np.ndarray, grad: np.ndarray, state: Sequence[np.ndarray], t: int
    ) -> list[Any]:
        return [params, grad, *state, *([t] if self.takes_step_count else [])]


# The hyperparameters the hidden tests use: larger than the seed's so that every term shows.
GRADING_HYPER: dict[str, dict[str, float]] = {
    "sgd": {"lr": 0.1},
    "momentum": {"lr": 0.05, "beta": 0.9},
    "rmsprop": {"lr": 0.01, "beta": 0.9, "eps": 1e-8},
    "adam": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "adamw": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1},
    "lion": {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.1},
}

RULES: dict[str, UpdateRule] = {
    info.step_function: UpdateRule(
        info.step_function,
        getattr(ref, info.step_function),
        info.state,
        info.takes_step_count,
        GRADING_HYPER[info.key],
        tuple(MISTAKES.get(info.step_function, ())),
    )
    for info in registry.OPTIMIZERS.values()
}


def rule_for(key_or_step_function: str | UpdateRule) -> UpdateRule:
    """The rule of a registry key or step function name; a rule outside the registry as is."""
    if isinstance(key_or_step_function, UpdateRule):
        return key_or_step_function
    if key_or_step_function in registry.OPTIMIZERS:
        key_or_step_function = registry.get(key_or_step_function).step_function
    if key_or_step_function not in RULES:
        raise ValueError(f"unknown update rule {key_or_step_function!r}; one of {list(RULES)}")
    return RULES[key_or_step_function]


def random_gradients(
    rng: np.random.Generator, shape: tuple[int, ...], steps: int, dtype: Any, scale: float = 1.0
) -> list[np.ndarray]:
    """Random gradients whose size changes over time and across coordinates."""
    per_coordinate = 10.0 ** rng.uniform(-2, 1, size=shape)
    return [
        (scale * per_coordinate * rng.standard_normal(shape) * (1 + 0.5 * np.sin(k))).astype(dtype)
        for k in range(steps)
    ]


def run_rule(
    fn: Callable[..., Any],
    rule: UpdateRule,
    params: np.ndarray,
    grads: Sequence[np.ndarray],
    hyper: dict[str, float],
    state: Sequence[np.ndarray],
    student: bool,
) -> list[list[np.ndarray]]:
    """Outputs of every step when ``fn`` is fed its own parameters and state back."""
    outputs: list[list[np.ndarray]] = []
    current, current_state = params, list(state)
    for step, grad in enumerate(grads, start=1):
        args = rule.arguments(current, grad, current_state, step)
        if student:
            got = as_outputs(
                call(fn, rule.name, *copy_args(args), **hyper), rule.outputs, rule.name
            )
        else:
            got = [np.asarray(x) for x in _as_tuple(fn(*args, **hyper))]
        outputs.append(got)
        current, *current_state = got
    return outputs


def _same_trajectory(
    got: Sequence[Sequence[np.ndarray]], want: Sequence[Sequence[np.ndarray]], rtol: float
) -> bool:
    return len(got) == len(want) and all(
        matches(g, w, rtol) for g, w in zip(got, want, strict=True)
    )


def compare_trajectory(
    fn: Callable[..., Any],
    rule: UpdateRule,
    params: np.ndarray,
    grads: Sequence[np.ndarray],
    hyper: dict[str, float],
    label: str,
    initial_state: Sequence[np.ndarray] | None = None,
) -> None:
    """Student and reference, each fed its own state; names a mistake or the first wrong step."""
    rtol = tolerance(params.dtype)
    state = (
        list(initial_state)
        if initial_state is not None
        else [np.zeros_like(params) for _ in rule.state]
    )
    mine = run_rule(fn, rule, params, grads, hyper, state, student=True)
    want = run_rule(rule.reference, rule, params, grads, hyper, state, student=False)
    if _same_trajectory(mine, want, rtol):
        return
    step = next(
        k for k, (g, w) in enumerate(zip(mine, want, strict=True)) if not matches(g, w, rtol)
    )
    context = (
        f"Step {step + 1} of {len(grads)} ({label}, params {params.dtype}"
        f"{list(params.shape)}, {_fmt(hyper)}"
        f"{f', t={step + 1}' if rule.takes_step_count else ''})"
    )
    for mistake in rule.mistakes:
        try:
            with quiet():
                guessed = run_rule(mistake.compute, rule, params, grads, hyper, state, False)
        except Exception:  # noqa: BLE001 - a mistake model that cannot run does not match
            continue
        if _same_trajectory(mine, guessed, rtol):
            fail(
                f"{context}: your result matches a known mistake, {mistake.name}.",
                hint=mistake.advice,
            )
    previous = (params, *state) if step == 0 else mine[step - 1]
    args = rule.arguments(previous[0], grads[step], list(previous[1:]), step + 1)
    explain_mismatch(
        rule.name, rule.outputs, mine[step], want[step], context, rule.mistakes, args, hyper, rtol
    )


def _as_tuple(result: Any) -> tuple[Any, ...]:
    return result if isinstance(result, tuple) else (result,)


def _fmt(hyper: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in hyper.items())


def check_trajectory(fn: Callable[..., Any], name: str, steps: int = 25, seed: int = 2024) -> None:
    """Many steps in float64, on fresh random data, agree with the reference."""
    rule = rule_for(name)
    rng = np.random.default_rng(seed)
    other = dict(rule.hyper, lr=rule.hyper["lr"] * 3)
    other.update({key: 0.5 for key in ("beta", "beta1") if key in other})
    for shape, hyper, label in [
        ((6,), rule.hyper, "random gradients"),
        ((3, 4), rule.hyper, "random gradients"),
        ((5,), other, "other hyperparameters"),
    ]:
        params = rng.standard_normal(shape)
        grads = random_gradients(rng, shape, steps, np.float64)
        compare_trajectory(fn, rule, params, grads, hyper, label)


def check_shapes_and_dtypes(fn: Callable[..., Any], name: str | UpdateRule, seed: int = 7) -> None:
    """Works on any shape, from a single number to a 3-D array, in float32 and float64."""
    rule = rule_for(name)
    name = rule.name
    rng = np.random.default_rng(seed)
    for shape in [(), (1,), (2, 3, 4), (1, 7)]:
        for dtype in (np.float64, np.float32):
            params = rng.standard_normal(shape).astype(dtype)
            grads = random_gradients(rng, shape, 4, dtype)
            zeros = [np.zeros_like(params) for _ in rule.state]
            result = call(
                fn, name, *rule.arguments(params.copy(), grads[0], zeros, 1), **rule.hyper
            )
            outputs = as_outputs(result, rule.outputs, name)
            for output, output_name in zip(outputs, rule.outputs, strict=True):
                if output.shape != params.shape:
                    fail(
                        f"For params of shape {params.shape}, `{output_name}` has shape "
                        f"{output.shape}.",
                        hint="keep the shape of the parameters; avoid "
                        "reshaping, flattening or converting to a Python list",
                    )
                if dtype == np.float32 and output.dtype != np.float32:
                    fail(
                        f"For float32 params, `{output_name}` came back as {output.dtype}.",
                        hint="build results from the inputs with NumPy arithmetic; avoid "
                        "np.float64(...) constants or .astype(float)",
                    )
            compare_trajectory(fn, rule, params, grads, rule.hyper, f"shape {shape}")


def check_edge_cases(fn: Callable[..., Any], name: str, seed: int = 11) -> None:
    """Exact zeros, tiny and huge gradients and a large learning rate match the reference."""
    rule = rule_for(name)
    rng = np.random.default_rng(seed)
    shape = (8,)
    params = rng.standard_normal(shape)
    zero_grads = [np.zeros(shape) for _ in range(3)]
    compare_trajectory(fn, rule, params, zero_grads, rule.hyper, "all-zero gradients")
    mixed = [g * (rng.random(shape) < 0.5) for g in random_gradients(rng, shape, 5, np.float64)]
    compare_trajectory(fn, rule, params, mixed, rule.hyper, "gradients with exact zeros")
    for scale, label in [
        (1e-9, "tiny gradients (about 1e-9)"),
        (1e6, "huge gradients (about 1e6)"),
    ]:
        grads = random_gradients(rng, shape, 5, np.float64, scale=scale)
        compare_trajectory(fn, rule, params, grads, rule.hyper, label)
    big = dict(rule.hyper, lr=0.5)
    if "weight_decay" in big:
        big["weight_decay"] = 0.8
    label = "large learning rate" + (" and weight decay" if "weight_decay" in big else "")
    grads = random_gradients(rng, shape, 5, np.float64)
    compare_trajectory(fn, rule, params * 10, grads, big, label)


def check_inputs_unchanged(fn: Callable[..., Any], name: str | UpdateRule, seed: int = 3) -> None:
    """The function returns new arrays and leaves every input array exactly as it was."""
    rule = rule_for(name)
    name = rule.name
    rng = np.random.default_rng(seed)
    shape = (4, 3)
    params = rng.standard_normal(shape)
    grad = rng.standard_normal(shape)
    state = [np.abs(rng.standard_normal(shape)) for _ in rule.state]
    args = rule.arguments(params, grad, state, 3)
    originals = copy_args(args)

    def run(arguments: Sequence[Any]) -> list[np.ndarray]:
        return as_outputs(call(fn, name, *arguments, **rule.hyper), rule.outputs, name)

    got = check_inputs_unchanged_kit(run, args, ["params", "grad", *rule.state], name)
    want = [np.asarray(x) for x in _as_tuple(rule.reference(*originals, **rule.hyper))]
    rtol, context = tolerance(np.float64), f"On read-only inputs ({_fmt(rule.hyper)})"
    if not matches(got, want, rtol):
        explain_mismatch(
            name, rule.outputs, got, want, context, rule.mistakes, originals, rule.hyper, rtol
        )


def check_own_update(fn: Callable[..., Any], name: str) -> None:
    """The update is computed by the student's own code, not borrowed from the reference."""
    rule = rule_for(name)
    params, grad = np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 0.25])
    state = [np.abs(grad) for _ in rule.state]
    call(fn, name, *rule.arguments(params, grad, state, 1), **rule.hyper)
