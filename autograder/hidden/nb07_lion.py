"""Hidden tests for notebook 07: the bytes of optimizer state (Exercise 2) and, at the end, the
Lion learning rate that matches Adam's first step (Exercise 3, a thinking exercise).

The convention, stated once (notebook 07 states it for students in the same words):

    optimizer_state_bytes(optimizer, param_shapes, dtype) -> int

counts only the **per-parameter state arrays** an optimizer keeps between steps: arrays with
the shape of a parameter, stored in that parameter's dtype. It does not count the parameters
themselves, their gradients, or scalar bookkeeping such as Adam's step counter ``t`` (one
integer in the course's NumPy code; one 4-byte tensor per parameter tensor in ``torch.optim``),
which is negligible next to the arrays. With that convention the count is exactly the sum of
``nbytes`` over ``optimizer.state`` in torch.optim and lion-pytorch after one step, leaving out
the ``step`` entries (the notebook checks this on an MLP).

Arrays of state per parameter: sgd 0, momentum 1 (the velocity), rmsprop 1 (the cache),
adam 2 (m and v), adamw 2 (m and v), lion 1 (m).

Each ``check_*`` function below is one graded property; a failure message starts with the
property's name, shows the call, what was expected and what came back, and names a known
mistake when the answer matches one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.kit.core import GradingFailure, Mistake, call, check_numbers, describe, fail
from optimlab import registry

Shape = tuple[int, ...]

OPTIMIZERS: tuple[str, ...] = registry.KEYS

# How many arrays of the parameters' shape each optimizer keeps between steps.
STATE_ARRAYS: dict[str, int] = {key: len(info.state) for key, info in registry.OPTIMIZERS.items()}


def _numbers(param_shapes: Sequence[Shape]) -> int:
    """How many numbers the parameters hold: the product of each shape, summed (() is 1)."""
    return sum(math.prod(int(n) for n in shape) for shape in param_shapes)


def optimizer_state_bytes(
    optimizer: str, param_shapes: Sequence[Shape], dtype: Any = np.float32
) -> int:
    """Reference: state arrays x numbers x bytes per number (an int); unknown names raise."""
    if optimizer not in STATE_ARRAYS:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {OPTIMIZERS}")
    return STATE_ARRAYS[optimizer] * _numbers(param_shapes) * np.dtype(dtype).itemsize


# --- known mistakes ------------------------------------------------------------------------------
def _changed(
    *,
    extra_arrays: int = 0,
    itemsize: int | None = None,
    factor: int = 1,
    count: Callable[[Sequence[Shape]], int] = _numbers,
    per_tensor: int = 0,
    once: int = 0,
    arrays: dict[str, int] = STATE_ARRAYS,
) -> Callable[..., int]:
    """The reference with one thing changed (the mistake), for every optimizer."""

    def compute(optimizer: str, param_shapes: Sequence[Shape], dtype: Any = np.float32) -> int:
        size = np.dtype(dtype).itemsize if itemsize is None else itemsize
        total = (arrays[optimizer] + extra_arrays) * count(param_shapes) * size * factor
        if optimizer in ("adam", "adamw"):
            total += per_tensor * len(param_shapes) + once
        return total

    return compute


_ONE_EACH = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 1, "adamw": 1, "lion": 1}

MISTAKES: list[Mistake] = [
    Mistake(
        "the parameters themselves counted as optimizer state",
        "count only the extra arrays the optimizer keeps (velocity, cache, m, v): the "
        "parameters exist whichever optimizer you use, so plain SGD's state is 0 bytes",
        _changed(extra_arrays=1),
    ),
    Mistake(
        "bits instead of bytes (8 times too many)",
        "np.dtype(dtype).itemsize is already in bytes (4 for float32); do not multiply by 8",
        _changed(factor=8),
    ),
    Mistake(
        "Adam and AdamW counted with one state array",
        "Adam and AdamW keep two arrays per parameter: m (the mean) and v (the mean square)",
        _changed(arrays=_ONE_EACH),
    ),
    Mistake(
        "the dtype's size ignored (always 4 bytes per number)",
        "bytes per number depend on the dtype: np.dtype(dtype).itemsize (2, 4 or 8)",
        _changed(itemsize=4),
    ),
    Mistake(
        "the dtype's size ignored (always 8 bytes per number)",
        "bytes per number depend on the dtype: np.dtype(dtype).itemsize (2, 4 or 8)",
        _changed(itemsize=8),
    ),
    Mistake(
        "numbers counted instead of bytes",
        "multiply the number of stored numbers by the bytes per number, np.dtype(dtype).itemsize",
        _changed(itemsize=1),
    ),
    Mistake(
        "Lion counted with two state arrays, like Adam",
        "Lion keeps only its momentum m; the interpolation beta1*m + (1-beta1)*g is computed "
        "on the fly and never stored",
        _changed(arrays=dict(STATE_ARRAYS, lion=2)),
    ),
    Mistake(
        "momentum counted as stateless, like plain SGD",
        "SGD with momentum keeps a velocity array with the shape of every parameter",
        _changed(arrays=dict(STATE_ARRAYS, momentum=0)),
    ),
    Mistake(
        "RMSprop counted with two state arrays, like Adam",
        "RMSprop keeps only its cache of squared gradients: one array per parameter",
        _changed(arrays=dict(STATE_ARRAYS, rmsprop=2)),
    ),
    *(
        Mistake(
            "Adam's step counter counted (one number per parameter tensor)",
            "the convention counts only per-parameter arrays; leave out the step counter t",
            _changed(per_tensor=size),
        )
        for size in (4, 8)
    ),
    Mistake(
        "Adam's step counter counted (one 8-byte integer)",
        "the convention counts only per-parameter arrays; leave out the step counter t",
        _changed(once=8),
    ),
    Mistake(
        "each shape's dimensions added instead of multiplied",
        "a (256, 784) weight holds 256 * 784 numbers: use math.prod(shape)",
        _changed(count=lambda shapes: sum(sum(int(n) for n in s) for s in shapes)),
    ),
    Mistake(
        "tensors counted instead of the numbers in them",
        "add up the sizes of the tensors: math.prod(shape) numbers for each shape",
        _changed(count=len),
    ),
    Mistake(
        "only the first parameter tensor counted",
        "add up the numbers over *every* shape in param_shapes",
        _changed(count=lambda shapes: _numbers(list(shapes)[:1])),
    ),
    Mistake(
        "only the last parameter tensor counted",
        "add up the numbers over *every* shape in param_shapes (is the sum inside the loop?)",
        _changed(count=lambda shapes: _numbers(list(shapes)[-1:])),
    ),
]


# --- checking one call ---------------------------------------------------------------------------
def _dtype_text(dtype: Any) -> str:
    if isinstance(dtype, str):
        return repr(dtype)
    if isinstance(dtype, np.dtype):
        return f"np.dtype({dtype.name!r})"
    return f"np.{np.dtype(dtype).name}"


def _call_text(optimizer: str, param_shapes: Sequence[Shape], dtype: Any) -> str:
    return f"optimizer_state_bytes({optimizer!r}, {list(param_shapes)!r}, {_dtype_text(dtype)})"


def _as_count(got: Any) -> float | None:
    """The returned value as a number, or None when it is not a single real number."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        return None
    value = float(got)
    return value if math.isfinite(value) else None


def _explain(optimizer: str, param_shapes: Sequence[Shape], dtype: Any) -> str:
    arrays = STATE_ARRAYS[optimizer]
    info = registry.get(optimizer)
    library = "lion-pytorch" if optimizer == "lion" else "torch"
    names = ", ".join(f"{s} ({library}: {info.torch_state[s]})" for s in info.state) or "no arrays"
    return (
        f"{arrays} state array(s) [{names}] x {_numbers(param_shapes):,} numbers x "
        f"{np.dtype(dtype).itemsize} bytes"
    )


Case = tuple[str, list[Shape], Any]


def _run_cases(fn: Callable[..., Any], prop: str, cases: Sequence[Case]) -> None:
    """Compare every case; name a mistake that reproduces all cases, else the first wrong one."""
    got: list[float] = []
    for optimizer, shapes, dtype in cases:
        result = call(fn, "optimizer_state_bytes", optimizer, list(shapes), dtype)
        value = _as_count(result)
        if value is None:
            fail(
                f"{prop}: {_call_text(optimizer, shapes, dtype)} returned {describe(result)}; "
                "expected a whole number of bytes.",
                hint="return a single int, the total over every parameter tensor",
            )
        got.append(value)
    want = [optimizer_state_bytes(*case) for case in cases]
    if got == want:
        return
    wrong = next(k for k, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
    optimizer, shapes, dtype = cases[wrong]
    head = (
        f"{prop}: {_call_text(optimizer, shapes, dtype)} returned {got[wrong]:,.6g}, "
        f"expected {want[wrong]:,}"
    )
    guesses = [(mistake, [mistake.compute(*case) for case in cases]) for mistake in MISTAKES]
    matched = [m for m, guess in guesses if guess == got]
    matched += [m for m, guess in guesses if guess[wrong] == got[wrong]]
    if matched:
        fail(
            f"{head}. Your result matches a known mistake, {matched[0].name}.",
            hint=matched[0].advice,
        )
    fail(
        f"{head} ({_explain(optimizer, shapes, dtype)}).",
        hint="bytes = (state arrays per parameter) * (numbers in all parameters) * "
        "np.dtype(dtype).itemsize",
    )


def _random_shapes(rng: np.random.Generator, tensors: int) -> list[Shape]:
    """Shapes of 1 to 3 dimensions with sizes 2..40, all different enough to tell mistakes apart."""
    shapes = []
    for _ in range(tensors):
        ndim = int(rng.integers(1, 4))
        shapes.append(tuple(int(n) for n in rng.integers(2, 41, size=ndim)))
    return shapes


# --- the graded properties -----------------------------------------------------------------------
def check_state_arrays(fn: Callable[..., Any], seed: int = 71) -> None:
    """Every optimizer keeps the right number of arrays (float32, several random models)."""
    rng = np.random.default_rng(seed)
    models = [[(int(rng.integers(5, 60)),)], _random_shapes(rng, 3), _random_shapes(rng, 5)]
    cases = [(name, shapes, np.float32) for shapes in models for name in OPTIMIZERS]
    _run_cases(fn, "State arrays per optimizer", cases)


def check_dtypes(fn: Callable[..., Any], seed: int = 73) -> None:
    """Bytes per number follow the dtype: float16, float32 and float64, in every spelling."""
    rng = np.random.default_rng(seed)
    shapes = _random_shapes(rng, 3)
    spellings = [np.float16, np.float64, np.float32, "float64", "float16"]
    spellings += [np.dtype("float64"), np.dtype("float16")]
    cases = [(name, shapes, dtype) for dtype in spellings for name in OPTIMIZERS]
    _run_cases(fn, "Bytes per number from the dtype", cases)


def check_many_tensors(fn: Callable[..., Any], seed: int = 79) -> None:
    """Every tensor counts: an MLP, single numbers (shape ()), empty tensors, none, 7e9 numbers."""
    rng = np.random.default_rng(seed)
    mlp = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]
    models: list[tuple[list[Shape], Any]] = [
        (mlp, np.float32),
        ([(), (3, 4), ()], np.float64),
        ([(0, 5), (7,)], np.float32),
        ([], np.float32),
        ([(7_000_000_000,)], np.float16),
        ([(50_000, 4096), (4096,), (4096, 4096, 3)], np.float32),
        (_random_shapes(rng, 8), np.float64),
    ]
    cases = [(name, shapes, dtype) for shapes, dtype in models for name in OPTIMIZERS]
    _run_cases(fn, "Numbers in every parameter tensor", cases)


def check_interface(fn: Callable[..., Any]) -> None:
    """An int comes back, param_shapes is left unchanged, and unknown names raise ValueError."""
    prop = "The function's contract"
    shapes = [(3, 4), (), (5,)]
    for optimizer in OPTIMIZERS:
        passed = list(shapes)
        got = call(fn, "optimizer_state_bytes", optimizer, passed, np.float32)
        text = _call_text(optimizer, shapes, np.float32)
        if passed != shapes:
            fail(
                f"{prop}: {text} changed the list param_shapes to {passed!r}.",
                hint="read param_shapes without sorting, appending to or popping from it",
            )
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            fail(
                f"{prop}: {text} returned {describe(got)} of type {type(got).__name__}; "
                "expected an int (a whole number of bytes).",
                hint="np.prod(()) is the float 1.0, so a scalar shape turns the sum into a "
                "float: use math.prod(shape), or int(...) around the total",
            )
    want = optimizer_state_bytes("adam", shapes, np.float32)
    text = f"optimizer_state_bytes('adam', {tuple(shapes)!r}, np.float32)"
    try:
        got = call(fn, "optimizer_state_bytes", "adam", tuple(shapes), np.float32)
    except GradingFailure as error:
        fail(
            f"{prop}: {text} failed when param_shapes is a tuple of shapes: {error}",
            hint="only loop over param_shapes; do not assume it is a list",
        )
    if _as_count(got) != want:
        fail(
            f"{prop}: {text} returned {describe(got)}, expected {want} (the same as for a "
            "list of these shapes).",
            hint="only loop over param_shapes; do not assume it is a list",
        )
    for name in ("adagrad", "nesterov", "", "sgd_momentum"):
        text = _call_text(name, shapes, np.float32)
        try:
            result = call(fn, "optimizer_state_bytes", name, list(shapes), np.float32)
        except AssertionError as error:
            if isinstance(error.__cause__, ValueError):
                continue
            fail(
                f"{prop}: {text} should raise ValueError for an unknown optimizer; instead {error}",
                hint="raise ValueError(f'unknown optimizer {optimizer!r}') when the name is "
                "none of sgd, momentum, rmsprop, adam, adamw, lion",
            )
        fail(
            f"{prop}: {text} returned {describe(result)}; an unknown optimizer should raise "
            "ValueError.",
            hint="check the name against the six known optimizers and raise ValueError "
            "otherwise, so that a typo never passes silently as 0 bytes",
        )


# --- lion_lr_matching_adam (a thinking exercise) -------------------------------------------------
# From zero state Adam's bias-corrected moments after one step are m_hat = g and v_hat = g**2, so
# its first step is lr * g / (|g| + eps) per coordinate, whatever beta1 and beta2; Lion's first
# step is lr * sign(g): lr on every coordinate whose gradient is not exactly zero. Matching the
# Euclidean lengths gives adam_lr * ||g / (|g| + eps)|| / sqrt(count of non-zero g).
def _matched(adam: Callable[..., Any], moved: Callable[..., Any] = np.count_nonzero, l1=False):
    """A matching rate from |Adam's first step| / lr per coordinate and Lion's moved entries."""

    def rate(grad: Any, lr: float, eps: float = 1e-8) -> float:
        steps = adam(np.abs(np.asarray(grad, dtype=np.float64)), eps)
        if l1:
            return float(lr) * float(np.sum(steps)) / np.count_nonzero(grad)
        return float(lr) * float(np.linalg.norm(steps)) / math.sqrt(moved(grad))

    return rate


def lion_lr_matching_adam(grad: Any, adam_lr: float, eps: float = 1e-8) -> float:
    """Reference: the Lion learning rate whose first step is as long as Adam's (Euclidean)."""
    return _matched(lambda size, eps: size / (size + eps))(grad, adam_lr, eps)


MATCH_MISTAKES = [
    Mistake(
        "Adam's learning rate itself (eps left out of Adam's first step)",
        "that holds only while every |g| is far above eps; try gradients of size eps",
        lambda g, lr, eps=1e-8: float(lr),
    ),
    Mistake(
        "Lion's step counted on every coordinate, zeros included",
        "what does sign(0) do to a coordinate whose gradient is exactly zero?",
        _matched(lambda size, eps: size / (size + eps), moved=np.size),
    ),
    Mistake(
        "the summed (L1) lengths matched instead of the Euclidean lengths",
        "the length of a step is the square root of the sum of its squared coordinates",
        _matched(lambda size, eps: size / (size + eps), l1=True),
    ),
    Mistake(  # torch's default betas 0.9 and 0.999, without the correction
        "Adam's first step without bias correction",
        "Adam corrects m and v by 1 - beta**t before its first step: what is left of the betas?",
        _matched(lambda size, eps: 0.1 * size / (math.sqrt(1e-3) * size + eps)),
    ),
    Mistake(
        "eps inside Adam's square root",
        "Adam adds eps outside the root of v_hat",
        _matched(lambda size, eps: size / np.sqrt(size * size + eps)),
    ),
    Mistake(
        "the ratio upside down (Lion's length over Adam's)",
        "a longer Adam step needs a larger Lion rate, not a smaller one",
        lambda g, lr, eps=1e-8: float(lr) ** 2 / lion_lr_matching_adam(g, lr, eps),
    ),
    Mistake(
        "SGD's first step (lr * g) taken for Adam's",
        "Adam divides each coordinate by the root of its v_hat (plus eps) before stepping",
        _matched(lambda size, eps: size),
    ),
]


def _check_match(fn: Callable[..., Any], grad: np.ndarray, lr: float, eps: float, what: str):
    context = f"lion_lr_matching_adam(<{what}>, adam_lr={lr!r}, eps={eps!r})"
    check_numbers(
        fn,
        "lion_lr_matching_adam",
        (grad, lr, eps),
        lion_lr_matching_adam(grad, lr, eps),
        mistakes=MATCH_MISTAKES,
        rtol=1e-6,
        context=context,
        hint="work out both first steps from zero state, coordinate by coordinate, and compare "
        "their lengths; which one depends on how |g| compares with eps?",
    )


def check_matching_values(fn: Callable[..., Any], seed: int = 83) -> None:
    """Fresh random gradients from 1e-11 to 1e2 (some zero entries), eps 1e-8 to 1e-3."""
    rng = np.random.default_rng(seed)
    for k in range(12):
        scale, eps = 10.0 ** rng.uniform(-11, 2), float(rng.choice([1e-8, 1e-6, 1e-3]))
        grad = scale * rng.standard_normal(int(rng.integers(3, 40)))
        grad[rng.random(grad.size) < 0.2 * (k % 2)] = 0.0
        grad[0] = grad[0] or scale
        what = f"{grad.size} random numbers of size about {scale:.1e}"
        _check_match(fn, grad, round(float(10 ** rng.uniform(-5, -1)), 8), eps, what)


def check_matching_edge_cases(fn: Callable[..., Any], seed: int = 89) -> None:
    """One non-zero entry among zeros, gradients exactly eps, 2-D and 3-D, huge, float32."""
    rng = np.random.default_rng(seed)
    lone = np.zeros(9)
    lone[4] = -3e-9
    cases = [
        (lone, "one non-zero entry, -3e-9, among zeros"),
        (np.full((3, 4), 1e-8), "a 3x4 array, every entry 1e-8"),
        (rng.standard_normal((2, 3, 4)) * 1e-9, "a 2x3x4 array of size 1e-9"),
        (rng.standard_normal(6) * 1e6, "huge gradients, about 1e6"),
        ((rng.standard_normal(5) * 1e-8).astype(np.float32), "float32 gradients of size 1e-8"),
    ]
    for grad, what in cases:
        _check_match(fn, grad, 1e-3, 1e-8, what)
