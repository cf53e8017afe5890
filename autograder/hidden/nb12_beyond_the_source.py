"""Hidden tests for notebook 12 (optional): Adafactor's factored second moment, Muon's
Newton-Schulz iteration and the Muon/AdamW split of the parameters.

The references are in ``autograder/references.py`` (checked against ``torch.optim.Adafactor`` and
``torch.optim.Muon`` in ``tests/test_beyond.py``); ``newton_schulz`` is graded in float64 (torch
runs it in bfloat16, which the notebook shows separately), also inside a trajectory of Muon steps.
Each ``check_*`` is one graded property; its failure names a known mistake when one reproduces it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.kit.core import (
    Mistake,
    as_outputs,
    call,
    check_inputs_unchanged,
    close,
    describe,
    fail,
    fail_if_known_mistake,
    run_student,
)
from autograder.references import MUON_COEFFICIENTS, adafactor_second_moment, muon_step
from autograder.references import newton_schulz as reference_newton_schulz

Shape = tuple[int, ...]
MOMENT_NAMES = ("new_row_var", "new_col_var", "v_hat")
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 2e-5}


# --- Adafactor: the factored second moment -------------------------------------------------------
def _floor(grad: np.ndarray, eps1: float | None) -> float:
    return float(np.finfo(grad.dtype).eps) if eps1 is None else eps1


def _moment_variant(
    *,
    weight: Callable[[int, float], float] | None = None,
    axes: tuple[int, int] = (1, 0),
    square: Callable[[np.ndarray], np.ndarray] = lambda g: g * g,
    normalize: Callable[[np.ndarray, np.ndarray], float] | None = None,
    swap_weights: bool = False,
) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The reference with one thing changed (the mistake)."""

    def compute(row_var, col_var, grad, step, beta2_decay=-0.8, eps1=None):
        g = np.asarray(grad)
        w = float(step) ** beta2_decay if weight is None else weight(step, beta2_decay)
        old, new = (w, 1 - w) if swap_weights else (1 - w, w)
        s = square(g)
        rows = old * np.asarray(row_var) + new * s.mean(axis=axes[0])
        cols = old * np.asarray(col_var) + new * s.mean(axis=axes[1])
        if normalize is None:
            divide = max(float(rows.mean()), _floor(g, eps1))
        else:
            divide = normalize(rows, cols)
        return rows, cols, np.outer(rows, cols) / divide

    return compute


MOMENT_MISTAKES: list[Mistake] = [
    Mistake(
        "a constant decay rate instead of one that depends on the step",
        "Adafactor's weight for the new statistic changes with the step number: all of it on "
        "step 1, less and less afterwards (look at the role of beta2_decay)",
        _moment_variant(weight=lambda step, decay: 1 - 0.999),
    ),
    Mistake(
        "the step's weight applied to the old statistic",
        "the step-dependent weight belongs to the NEW mean of squares; the old running "
        "statistic keeps the rest",
        _moment_variant(swap_weights=True),
    ),
    Mistake(
        "the old statistics ignored (each step starts afresh)",
        "row_var and col_var are running means: blend the old ones with the new means of squares",
        _moment_variant(weight=lambda step, decay: 1.0),
    ),
    Mistake(
        "the step counted from zero",
        "step is this update's number, 1 on the first call: use it as it is",
        _moment_variant(weight=lambda step, decay: float(step + 1) ** decay),
    ),
    Mistake(
        "rows and columns swapped",
        "the row statistic has one number per row (average over the columns, axis=1); the "
        "column statistic one per column (average over the rows, axis=0)",
        _moment_variant(axes=(0, 1)),
    ),
    Mistake(
        "the gradient not squared",
        "the second moment is a running mean of the SQUARED gradient",
        _moment_variant(square=lambda g: g),
    ),
    Mistake(
        "the absolute gradient instead of its square",
        "the second moment is a running mean of the SQUARED gradient",
        _moment_variant(square=np.abs),
    ),
    Mistake(
        "the outer product not normalized",
        "row times column statistic counts the overall size of g^2 twice: divide by the "
        "overall mean once",
        _moment_variant(normalize=lambda rows, cols: 1.0),
    ),
    Mistake(
        "divided by the sum instead of the mean of the row statistic",
        "the row statistic holds means; their overall level is their mean, not their sum",
        _moment_variant(normalize=lambda rows, cols: float(rows.sum())),
    ),
    Mistake(
        "divided by the mean of the row statistic squared",
        "divide by the overall mean once, not by its square",
        _moment_variant(normalize=lambda rows, cols: float(rows.mean()) ** 2),
    ),
]


def _run_moment(fn: Callable[..., Any], args: Sequence[Any]) -> list[np.ndarray]:
    shapes = " ".join(str(np.shape(a)) for a in args[:3])
    hint = (
        "row_var has one number per row of grad and col_var one per column: check which axis "
        "each mean runs over"
    )
    result = run_student(
        fn,
        "factored_second_moment",
        args,
        what=f"factored_second_moment(row_var, col_var, grad) with shapes {shapes}",
        hints={"broadcast": hint, "shapes": hint},
    )
    return as_outputs(result, MOMENT_NAMES, "factored_second_moment")


def _compare_moment(
    got: Sequence[np.ndarray], args: Sequence[Any], context: str, dtype: np.dtype
) -> None:
    """Fail with a named mistake or the first wrong output when got differs from the reference."""
    want = adafactor_second_moment(*args)
    rtol = RTOL[np.dtype(dtype)]
    if all(close(g, w, rtol) for g, w in zip(got, want, strict=True)):
        return
    for g, w, name in zip(got, want, MOMENT_NAMES, strict=True):
        if g.shape != w.shape:
            fail(
                f"{context}: `{name}` has shape {g.shape}, expected {w.shape}.",
                hint="the row statistic has one number per row, the column statistic one per "
                "column, the estimate the shape of the gradient",
            )
    fail_if_known_mistake(
        context,
        MOMENT_MISTAKES,
        args,
        lambda guess: all(close(g, w, rtol) for g, w in zip(got, guess, strict=True)),
    )
    name, g, w = next(
        (n, g, w) for g, w, n in zip(got, want, MOMENT_NAMES, strict=True) if not close(g, w, rtol)
    )
    fail(
        f"{context}: `{name}` is wrong.\n  expected: {describe(w)}\n  got:      {describe(g)}",
        hint="compare each line with the three formulas of section 2: two running means of "
        "squared gradients, then their normalized outer product",
    )


def _random_case(rng: np.random.Generator, shape: Shape, dtype: Any) -> list[Any]:
    scale = 10.0 ** rng.uniform(-3, 2)
    rows = (rng.random(shape[0]) * scale**2).astype(dtype)
    cols = (rng.random(shape[1]) * scale**2).astype(dtype)
    grad = (rng.standard_normal(shape) * scale).astype(dtype)
    return [rows, cols, grad, int(rng.integers(1, 200)), float(rng.choice([-0.8, -0.5, -1.0]))]


def check_moment_values(fn: Callable[..., Any], seed: int = 121) -> None:
    """One step from random statistics: several shapes, steps and decay exponents (float64)."""
    rng = np.random.default_rng(seed)
    for shape in [(5, 5), (3, 4), (6, 2), (1, 7), (9, 1)]:
        args = _random_case(rng, shape, np.float64)
        context = (
            f"factored_second_moment(row_var, col_var, grad of shape {shape}, step={args[3]}, "
            f"beta2_decay={args[4]})"
        )
        got = _run_moment(fn, args)
        _compare_moment(got, args, context, np.dtype(np.float64))


def check_moment_trajectory(fn: Callable[..., Any], seed: int = 122, steps: int = 60) -> None:
    """Chained from zeros over 60 steps with gradients of changing scale and exact zeros."""
    rng = np.random.default_rng(seed)
    for shape in [(7, 5), (4, 9)]:
        rows, cols = np.zeros(shape[0]), np.zeros(shape[1])
        want_rows, want_cols = rows.copy(), cols.copy()
        for step in range(1, steps + 1):
            grad = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 1)
            grad[rng.random(shape) < 0.1] = 0.0
            args = [want_rows, want_cols, grad, step]
            context = (
                f"step {step} of a {steps}-step trajectory from zero statistics, grad of shape "
                f"{shape} (each call fed the statistics the previous call returned)"
            )
            got = _run_moment(fn, [rows, cols, grad, step])
            # Compare the student's chained state with the reference's chained state.
            _compare_moment(got, args, context, np.dtype(np.float64))
            rows, cols = got[0], got[1]
            want_rows, want_cols, _ = adafactor_second_moment(want_rows, want_cols, grad, step)


def check_moment_shapes_dtypes(fn: Callable[..., Any], seed: int = 123) -> None:
    """float32 stays float32 in every output; tall, wide and one-row matrices; eps1 is used."""
    rng = np.random.default_rng(seed)
    for shape in [(12, 3), (3, 12), (1, 1)]:
        args = _random_case(rng, shape, np.float32)
        context = f"factored_second_moment(float32 arrays, grad of shape {shape}, step={args[3]})"
        got = _run_moment(fn, args)
        for g, name in zip(got, MOMENT_NAMES, strict=True):
            if g.dtype != np.float32:
                fail(
                    f"{context}: `{name}` has dtype {g.dtype}, expected float32.",
                    hint="NumPy keeps float32 when float32 arrays meet Python floats; avoid "
                    "np.float64(...) and .astype(float)",
                )
        _compare_moment(got, args, context, np.dtype(np.float32))
    # Gradients so tiny that the floor eps1 decides the division.
    grad = np.full((3, 4), 1e-12)
    args = [np.zeros(3), np.zeros(4), grad, 1, -0.8, 1e-6]
    context = "factored_second_moment(zeros, zeros, grad = 1e-12 everywhere, step=1, eps1=1e-6)"
    _compare_moment(_run_moment(fn, args), args, context, np.dtype(np.float64))


def check_moment_inputs_unchanged(fn: Callable[..., Any], seed: int = 124) -> None:
    """row_var, col_var and grad are left unchanged, and read-only inputs work."""
    args = _random_case(np.random.default_rng(seed), (4, 3), np.float64)
    check_inputs_unchanged(
        lambda a: call(fn, "factored_second_moment", *a),
        args,
        ["row_var", "col_var", "grad"],
        "factored_second_moment",
    )


# --- Muon: the Newton-Schulz iteration -----------------------------------------------------------
def _iterate(x: np.ndarray, steps: int, coefficients: Sequence[float]) -> np.ndarray:
    a, b, c = coefficients
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x


def _ns_variant(
    *,
    normalize: Callable[[np.ndarray], float] = np.linalg.norm,
    order: Callable[[Sequence[float]], Sequence[float]] = lambda c: c,
    extra_steps: int = 0,
    back: bool = True,
    cubic: bool = False,
) -> Callable[..., np.ndarray]:
    def compute(update, steps=5, coefficients=MUON_COEFFICIENTS, eps=1e-7):
        x = np.asarray(update)
        tall = x.shape[0] > x.shape[1]
        if tall:
            x = x.T
        x = x / max(normalize(x), eps)
        if cubic:
            for _ in range(steps):
                x = 1.5 * x - 0.5 * x @ x.T @ x
        else:
            x = _iterate(x, steps + extra_steps, order(coefficients))
        return x.T if tall and back else x

    return compute


NS_MISTAKES: list[Mistake] = [
    Mistake(
        "no normalization before the iteration",
        "the iteration only behaves for singular values up to about 1: scale the matrix down "
        "by its norm first (guarding against a zero norm with eps)",
        _ns_variant(normalize=lambda x: 1.0),
    ),
    Mistake(
        "normalized by the largest singular value instead of the norm Muon uses",
        "torch.optim.Muon divides by the Frobenius norm (np.linalg.norm of the matrix), which "
        "is cheap and never smaller than the largest singular value",
        _ns_variant(normalize=lambda x: float(np.linalg.norm(x, 2))),
    ),
    Mistake(
        "normalized by the largest entry",
        "torch.optim.Muon divides by the Frobenius norm of the whole matrix",
        _ns_variant(normalize=lambda x: float(np.abs(x).max())),
    ),
    Mistake(
        "the coefficients applied to the wrong powers",
        "match each coefficient with its term of section 4's recipe: which power of A goes "
        "with a, with b and with c",
        _ns_variant(order=lambda c: tuple(reversed(c))),
    ),
    Mistake(
        "the classic cubic iteration instead of Muon's quintic one",
        "Muon's iteration is a quintic polynomial with the three coefficients a, b, c",
        _ns_variant(cubic=True),
    ),
    Mistake(
        "one iteration too many",
        "apply the update exactly `steps` times",
        _ns_variant(extra_steps=1),
    ),
    Mistake(
        "one iteration too few",
        "apply the update exactly `steps` times",
        _ns_variant(extra_steps=-1),
    ),
    Mistake(
        "a tall matrix returned transposed",
        "after working on the transpose of a tall matrix, transpose the result back: the "
        "output has the shape of the input",
        _ns_variant(back=False),
    ),
]


def _run_ns(fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> np.ndarray:
    result = call(fn, "newton_schulz", *args, **kwargs)
    return as_outputs(result, ["orthogonalized"], "newton_schulz")[0]


def _compare_ns(fn: Callable[..., Any], update: np.ndarray, context: str, **kwargs: Any) -> None:
    got = _run_ns(fn, [update], kwargs)
    want = reference_newton_schulz(update, **kwargs)
    rtol = RTOL[np.dtype(update.dtype)]
    if close(got, want, rtol):
        return
    fail_if_known_mistake(
        context, NS_MISTAKES, [update], lambda guess: close(got, guess, rtol), kwargs
    )
    if got.shape != want.shape:
        fail(
            f"{context}: the result has shape {got.shape}, expected {want.shape}.",
            hint="the orthogonalized update has the shape of the update",
        )
    fail(
        f"{context}: the result is wrong.\n  expected: {describe(want)}"
        f"\n  got:      {describe(got)}",
        hint="normalize, then repeat the quintic step of section 4 exactly `steps` times",
    )


def check_ns_values(fn: Callable[..., Any], seed: int = 125) -> None:
    """Random square and wide matrices of several scales, default and other settings (float64)."""
    rng = np.random.default_rng(seed)
    for shape, kwargs in [
        ((4, 4), {}),
        ((3, 7), {}),
        ((5, 5), {"steps": 3}),
        ((2, 6), {"coefficients": (2.0, -1.5, 0.5)}),
        ((6, 6), {"steps": 8}),
    ]:
        update = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3)
        settings = "".join(f", {k}={v}" for k, v in kwargs.items())
        context = f"newton_schulz(update of shape {shape}{settings})"
        _compare_ns(fn, update, context, **kwargs)


def check_ns_tall(fn: Callable[..., Any], seed: int = 126) -> None:
    """Tall matrices (more rows than columns) and one-row and one-column matrices."""
    rng = np.random.default_rng(seed)
    for shape in [(9, 4), (20, 3), (1, 6), (6, 1)]:
        update = rng.standard_normal(shape)
        _compare_ns(fn, update, f"newton_schulz(update of shape {shape})")


def check_muon_trajectory(fn: Callable[..., Any], seed: int = 127, steps: int = 30) -> None:
    """30 Muon steps on 2-D weights whose orthogonalization is your function (float64)."""
    rng = np.random.default_rng(seed)
    for shape in [(8, 5), (5, 8)]:
        want = got = rng.standard_normal(shape)
        buf_want = buf_got = np.zeros(shape)
        for step in range(1, steps + 1):
            grad = rng.standard_normal(shape) * 10.0 ** rng.uniform(-2, 1)
            context = (
                f"step {step} of {steps} Muon steps on a {shape[0]}x{shape[1]} weight (lr=0.02, "
                "momentum=0.95, Nesterov, your newton_schulz as the orthogonalization)"
            )

            def orthogonalize(update: np.ndarray, context: str = context) -> np.ndarray:
                result = _run_ns(fn, [update], {})
                if result.shape != update.shape:
                    fail(
                        f"{context}: newton_schulz returned shape {result.shape} for an update "
                        f"of shape {update.shape}.",
                        hint="the orthogonalized update must have the shape of the weight; a "
                        "tall matrix handled through its transpose is transposed back",
                    )
                return result

            got, buf_got = muon_step(got, grad, buf_got, 0.02, orthogonalize=orthogonalize)
            want, buf_want = muon_step(want, grad, buf_want, 0.02)
            if not close(got, want, 1e-8):
                direction = 0.05 * grad + 0.95 * buf_want
                theirs = _run_ns(fn, [direction], {})
                fail_if_known_mistake(
                    context,
                    NS_MISTAKES,
                    [direction],
                    lambda guess, theirs=theirs: close(theirs, guess, 1e-8),
                )
                fail(
                    f"{context}: the weights drifted from Muon's.\n  expected: {describe(want)}"
                    f"\n  got:      {describe(got)}",
                    hint="check newton_schulz on the shapes and scales of a momentum update",
                )


def check_ns_contract(fn: Callable[..., Any], seed: int = 128) -> None:
    """A bias (1-D) raises ValueError, a zero matrix gives zeros, float32 stays float32, the
    input is left unchanged."""
    name = "newton_schulz"
    try:
        result = call(fn, name, np.ones(5))
    except AssertionError as error:
        if not isinstance(error.__cause__, ValueError):
            fail(
                f"{name}(a 1-D array of length 5) should raise ValueError; instead {error}",
                hint="a bias is a vector, not a matrix: there is nothing to orthogonalize, so "
                "refuse it with a ValueError that says so",
            )
    else:
        fail(
            f"{name}(a 1-D array of length 5) returned {describe(result)}; orthogonalizing a "
            "1-D bias should raise ValueError.",
            hint="check update.ndim and raise ValueError for anything that is not a matrix, "
            "as torch.optim.Muon does",
        )
    zeros = _run_ns(fn, [np.zeros((3, 4))], {})
    if zeros.shape != (3, 4) or not np.all(zeros == 0):
        fail(
            f"{name}(a 3x4 matrix of zeros) returned {describe(zeros)}; expected zeros.",
            hint="a zero matrix has norm 0: the eps in the normalization keeps 0/0 away",
        )
    update = np.random.default_rng(seed).standard_normal((6, 4)).astype(np.float32)
    got = _run_ns(fn, [update], {})
    if got.dtype != np.float32:
        fail(
            f"{name}(a float32 6x4 matrix) returned dtype {got.dtype}, expected float32.",
            hint="avoid np.float64(...) and .astype(float); NumPy keeps float32 with Python floats",
        )
    check_inputs_unchanged(
        lambda a: call(fn, name, *a), [update.astype(np.float64)], ["update"], name
    )


# --- which parameters go to Muon ------------------------------------------------------------------
NamedShapes = Sequence[tuple[str, Shape]]


def split_for_muon(named_shapes: NamedShapes) -> tuple[list[str], list[str]]:
    """Reference: matrices to Muon except the output layer (last matrix) and embeddings."""
    matrices = [name for name, shape in named_shapes if len(shape) == 2]
    output = matrices[-1] if matrices else None
    muon = [n for n in matrices if n != output and "embed" not in n]
    return muon, [name for name, _ in named_shapes if name not in muon]


def _split_variant(rule: Callable[[NamedShapes], list[str]]) -> Callable[..., Any]:
    def compute(named_shapes: NamedShapes) -> tuple[list[str], list[str]]:
        muon = rule(named_shapes)
        return muon, [name for name, _ in named_shapes if name not in muon]

    return compute


def _every_matrix(named: NamedShapes) -> list[str]:
    return [n for n, s in named if len(s) == 2]


def _not_first_or_last(named: NamedShapes) -> list[str]:
    return split_for_muon(named)[0][1:]


SPLIT_MISTAKES: list[Mistake] = [
    Mistake(
        "biases sent to Muon (orthogonalizing a 1-D bias)",
        "Muon orthogonalizes matrices; a bias is a vector with no singular values to even out, "
        "so it goes to AdamW",
        _split_variant(
            lambda named: [n for n, s in named if n in split_for_muon(named)[0] or len(s) == 1]
        ),
    ),
    Mistake(
        "every parameter sent to Muon",
        "only hidden weight matrices go to Muon",
        _split_variant(lambda named: [n for n, _ in named]),
    ),
    Mistake(
        "the output layer sent to Muon",
        "the output layer maps features to class scores, and its rows need not be balanced: the "
        "practice keeps it (like embeddings) on AdamW",
        _split_variant(lambda named: [n for n in _every_matrix(named) if "embed" not in n]),
    ),
    Mistake(
        "every matrix sent to Muon, embeddings and output layer included",
        "embedding tables and the output layer stay on AdamW",
        _split_variant(_every_matrix),
    ),
    Mistake(
        "the first weight matrix kept on AdamW as well",
        "a dense first layer on pixels is a hidden weight matrix like the others; only lookup "
        "tables (embeddings) and the output layer stay on AdamW",
        _split_variant(_not_first_or_last),
    ),
]


def _as_names(value: Any, what: str, context: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        fail(
            f"{context}: {what} is {describe(value)}; expected a list of parameter names.",
            hint="return two lists of the names (strings) from named_shapes",
        )
    return list(value)


def _check_split(fn: Callable[..., Any], named: list[tuple[str, Shape]], label: str) -> None:
    context = f"split_for_muon({label})"
    result = call(fn, "split_for_muon", [tuple(p) for p in named])
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(
            f"{context} returned {describe(result)}; expected (muon_names, adamw_names).",
            hint="return two lists: `return muon_names, adamw_names`",
        )
    got = (
        _as_names(result[0], "muon_names", context),
        _as_names(result[1], "adamw_names", context),
    )
    want = split_for_muon(named)
    if got == want:
        return
    fail_if_known_mistake(
        f"{context} returned Muon: {got[0]}, AdamW: {got[1]}",
        SPLIT_MISTAKES,
        [named],
        lambda guess: [list(x) for x in guess] == list(got),
    )
    if sorted(got[0] + got[1]) != sorted(n for n, _ in named):
        fail(
            f"{context} returned Muon: {got[0]}, AdamW: {got[1]}; every parameter should appear "
            "in exactly one of the two lists.",
            hint="each parameter gets exactly one optimizer",
        )
    if set(got[0]) == set(want[0]):
        fail(
            f"{context} returned the right groups in another order: Muon: {got[0]}, AdamW: "
            f"{got[1]}.",
            hint="keep the order of named_shapes in both lists",
        )
    fail(
        f"{context} returned Muon: {got[0]}, AdamW: {got[1]}; that is not the split the practice "
        "recommends.",
        hint="ask of each parameter: is it a matrix, and is it a hidden layer (not the output "
        "layer, not an embedding table)?",
    )


def _mlp(sizes: Sequence[int], prefix: str = "") -> list[tuple[str, Shape]]:
    named: list[tuple[str, Shape]] = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        named += [(f"{prefix}{2 * k}.weight", (n_out, n_in)), (f"{prefix}{2 * k}.bias", (n_out,))]
    return named


def check_split_mlp(fn: Callable[..., Any]) -> None:
    """MLPs of 2 to 5 layers, like the course's 784-256-128-10."""
    for sizes in [(784, 256, 128, 10), (784, 10), (20, 30, 30, 30, 5), (8, 16, 4)]:
        _check_split(fn, _mlp(sizes), f"an MLP {'-'.join(map(str, sizes))}")


def check_split_other_models(fn: Callable[..., Any]) -> None:
    """A model with an embedding table, a norm gain, a 0-d scale and a classifier head."""
    named: list[tuple[str, Shape]] = [
        ("embed.weight", (1000, 64)),
        ("block.norm.weight", (64,)),
        ("block.fc1.weight", (256, 64)),
        ("block.fc1.bias", (256,)),
        ("block.fc2.weight", (64, 256)),
        ("temperature", ()),
        ("head.weight", (10, 64)),
        ("head.bias", (10,)),
    ]
    _check_split(fn, named, "a small model with an embedding, a norm and a head")
    _check_split(fn, [("only.bias", (5,)), ("scale", ())], "a model without matrices")
    _check_split(fn, [("fc.weight", (3, 4)), ("fc.bias", (3,))], "a single linear layer")


__all__ = [
    "MOMENT_MISTAKES",
    "NS_MISTAKES",
    "SPLIT_MISTAKES",
    "check_moment_inputs_unchanged",
    "check_moment_shapes_dtypes",
    "check_moment_trajectory",
    "check_moment_values",
    "check_muon_trajectory",
    "check_ns_contract",
    "check_ns_tall",
    "check_ns_values",
    "check_split_mlp",
    "check_split_other_models",
    "split_for_muon",
]
