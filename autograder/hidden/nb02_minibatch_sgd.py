"""Hidden tests for notebook 02, minibatch SGD: minibatch indices, a linear model's batch gradient,
one training epoch and the noise of a minibatch gradient, with the conventions the notebook states.

Every failure says which property failed, on what input, expected against got, and names a known
mistake with a hint when the answer matches one. Nothing here prints to stderr.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from autograder.kit.core import (
    Mistake,
    call,
    check_inputs_unchanged,
    check_numbers,
    close,
    describe,
    fail,
    fail_if_known_mistake,
    quiet,
    substituted,
)

Rng = np.random.Generator
Problem = tuple[np.ndarray, float, np.ndarray, np.ndarray]  # w, b, X, y of a regression problem

# --- references ----------------------------------------------------------------------------------


def minibatch_indices(num_examples: int, batch_size: int, rng: np.random.Generator) -> list:
    """Reference: one epoch's batches: a fresh permutation from ``rng``, cut into pieces."""
    order = rng.permutation(num_examples)
    return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]


def linear_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """Reference: the mean of (x_i . w + b - y_i)**2 / 2 over the rows of X."""
    residual = X @ w + b - y
    return float(0.5 * np.mean(residual * residual))


def linear_gradient(
    w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, Any]:
    """Reference: (grad_w, grad_b) of ``linear_loss`` on the batch (X, y)."""
    residual = X @ w + b - y
    return X.T @ residual / len(y), residual.mean()


def train_epoch(
    w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, lr: float, batch_size: int, rng: Rng
) -> tuple[np.ndarray, Any, np.ndarray]:
    """Reference: one epoch of minibatch SGD; the loss of each batch is taken before its step."""
    losses = []
    for batch in minibatch_indices(len(y), batch_size, rng):
        X_batch, y_batch = X[batch], y[batch]
        losses.append(linear_loss(w, b, X_batch, y_batch))
        grad_w, grad_b = linear_gradient(w, b, X_batch, y_batch)
        w = w - lr * grad_w
        b = b - lr * grad_b
    return w, b, np.array(losses)


REFERENCES: Mapping[str, Callable[..., Any]] = {
    "minibatch_indices": minibatch_indices,
    "linear_loss": linear_loss,
    "linear_gradient": linear_gradient,
}


def references_inside(
    fn: Callable[..., Any], references: Mapping[str, Callable[..., Any]] = REFERENCES
) -> contextlib.AbstractContextManager[None]:
    """``fn`` sees the earlier exercises' references, so their mistakes are not charged again."""
    namespace = getattr(fn, "__globals__", {})
    return substituted(fn, **{name: ref for name, ref in references.items() if name in namespace})


# --- shared helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _global_random_state_kept() -> Iterator[None]:
    """Put NumPy's global random state back as it was, whatever the student's code did to it."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def _global_state_changed_by(action: Callable[[], Any]) -> bool:
    """True when ``action`` draws from (or reseeds) NumPy's global random state."""
    with _global_random_state_kept():
        np.random.seed(12345)
        before = np.random.get_state()[1].copy(), np.random.get_state()[2]
        with contextlib.suppress(Exception), quiet():
            action()
        after = np.random.get_state()[1], np.random.get_state()[2]
    return not (np.array_equal(before[0], after[0]) and before[1] == after[1])


def _rng(seed: int) -> Rng:
    return np.random.default_rng(seed)


def _scale(*values: Any) -> float:
    return max([float(np.max(np.abs(v))) if np.size(v) else 0.0 for v in values] + [0.0])


def _close(got: np.ndarray, want: np.ndarray, rtol: float, scale: float = 0.0) -> bool:
    """The kit's closeness, within rtol of the larger of |want| and ``scale``."""
    return close(got, want, rtol, atol=rtol * scale)


def _compare_outputs(
    context: str,
    got: Sequence[np.ndarray],
    want: Sequence[np.ndarray],
    scales: Sequence[float],
    rtol: float,
    mistakes: Sequence[Mistake],
    args: Sequence[Any],
    hints: Mapping[str, str],
) -> None:
    """Fail naming a known mistake, a NaN or inf, or else the first wrong output (by its name)."""

    def same(a: Sequence[Any], b: Sequence[Any]) -> bool:
        pairs = zip(a, b, scales, strict=True)
        return all(_close(np.asarray(x, float), np.asarray(t, float), rtol, s) for x, t, s in pairs)

    if same(got, want):
        return
    fail_if_known_mistake(context, mistakes, args, lambda g: not same(g, want) and same(got, g))
    if not all(np.all(np.isfinite(g)) for g in got):
        shown = ", ".join(f"{name}={describe(g)}" for name, g in zip(hints, got, strict=True))
        fail(
            f"{context}: the result contains NaN or inf: {shown}.",
            hint="look for a division by zero",
        )
    for g, t, s, (name, hint) in zip(got, want, scales, hints.items(), strict=True):
        if not _close(g, t, rtol, s):
            shown = f"\n  expected: {describe(t)}\n  got:      {describe(g)}"
            fail(f"{context}: {name} is wrong.{shown}", hint=hint)


# --- Exercise 1: minibatch indices ---------------------------------------------------------------

INDEX_HINT = (
    "shuffle all the examples once (a permutation drawn from rng), then cut the shuffled order "
    "into consecutive pieces of batch_size"
)


def _batches(
    fn: Callable[..., Any], num_examples: int, batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Call the student's function and check the shape of what it returns."""
    context = f"minibatch_indices({num_examples}, {batch_size}, rng)"
    result = call(fn, "minibatch_indices", num_examples, batch_size, rng)
    if isinstance(result, np.ndarray) or not isinstance(result, (list, tuple)):
        fail(
            f"{context} returned {describe(result)}; expected a list of 1-D integer arrays, "
            "one per batch.",
            hint="collect the batches in a Python list, one 1-D array of indices per batch",
        )
    batches = []
    for k, item in enumerate(result):
        batch = np.asarray(item)
        if batch.ndim != 1:
            fail(
                f"{context}: batch {k} is {describe(item)}; every batch should be a 1-D array "
                "of example indices.",
                hint=INDEX_HINT,
            )
        if batch.size and not np.issubdtype(batch.dtype, np.integer):
            fail(
                f"{context}: batch {k} has dtype {batch.dtype}; indices must be integers "
                "(X[batch] needs integer indices).",
                hint="rng.permutation(num_examples) already gives integers; avoid rng.random",
            )
        batches.append(batch.astype(np.int64))
    return batches


def _order(fn: Callable[..., Any], num_examples: int, batch_size: int, rng: Rng) -> np.ndarray:
    """One epoch's order of the examples: the student's batches joined."""
    return np.concatenate(_batches(fn, num_examples, batch_size, rng))


def _expected_sizes(num_examples: int, batch_size: int) -> list[int]:
    full, rest = divmod(num_examples, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def _check_partition(fn: Callable[..., Any], num_examples: int, batch_size: int, seed: int) -> None:
    batches = _batches(fn, num_examples, batch_size, _rng(seed))
    context = f"minibatch_indices({num_examples}, {batch_size}, rng)"
    sizes = [len(b) for b in batches]
    want_sizes = _expected_sizes(num_examples, batch_size)
    everything = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    exactly_once = np.array_equal(np.sort(everything), np.arange(num_examples))
    if exactly_once and sizes == want_sizes:
        return
    shown = sizes if len(sizes) <= 12 else [*sizes[:5], "...", *sizes[-3:]]
    wanted = want_sizes if len(want_sizes) <= 12 else [*want_sizes[:5], "...", *want_sizes[-3:]]
    if 0 in sizes:
        fail(
            f"{context}: your result matches a known mistake, an empty batch (batch sizes "
            f"{shown}, expected {wanted}).",
            hint="start a batch only where examples are left: check where your slices start",
        )
    rest = num_examples % batch_size
    if rest and sizes == want_sizes[:-1]:
        fail(
            f"{context}: your result matches a known mistake, the last partial batch dropped "
            f"(batch sizes {shown}, expected {wanted}: {rest} examples never used).",
            hint="keep the last, shorter batch: every example is used once per epoch",
        )
    if everything.size and (everything.min() < 0 or everything.max() >= num_examples):
        fail(
            f"{context}: indices must lie in 0 .. {num_examples - 1}, but they range from "
            f"{everything.min()} to {everything.max()}.",
            hint="example indices start at 0, as rng.permutation(num_examples) gives them",
        )
    if everything.size == num_examples and not exactly_once:
        missing = np.setdiff1d(np.arange(num_examples), everything)
        fail(
            f"{context}: your result matches a known mistake, sampling with replacement: "
            f"{missing.size} of the {num_examples} examples never appear and others appear "
            "twice or more.",
            hint="shuffle without replacement: rng.permutation(num_examples) contains every "
            "index exactly once (not rng.integers or rng.choice with replacement)",
        )
    split_sizes = [len(p) for p in np.array_split(np.arange(num_examples), len(want_sizes))]
    if exactly_once and sizes == split_sizes:
        fail(
            f"{context}: your result matches a known mistake, np.array_split into equal parts "
            f"(batch sizes {shown}, expected {wanted}).",
            hint="every batch holds batch_size examples except the last one: check how you cut the "
            "shuffled order",
        )
    if not exactly_once:
        counts = np.bincount(
            everything[(everything >= 0) & (everything < num_examples)], minlength=num_examples
        )
        fail(
            f"{context}: every example should appear exactly once per epoch, but "
            f"{int(np.sum(counts == 0))} never appear and {int(np.sum(counts > 1))} appear more "
            f"than once ({everything.size} indices for {num_examples} examples).",
            hint=INDEX_HINT,
        )
    fail(
        f"{context}: batch sizes are {shown}, expected {wanted}.",
        hint="batches of batch_size examples, in order, and the remainder as the last batch",
    )


PARTITION_CASES = [(10, 4), (12, 4), (12, 5), (1, 1), (7, 1), (5, 5), (5, 8), (100, 32)]
PARTITION_CASES += [(1000, 128), (2048, 2048), (333, 10)]


def check_indices_partition(fn: Callable[..., Any], seed: int = 21) -> None:
    """Each example exactly once per epoch, batches of batch_size, the last partial batch kept."""
    with _global_random_state_kept():
        for k, (num_examples, batch_size) in enumerate(PARTITION_CASES):
            _check_partition(fn, num_examples, batch_size, seed + k)


def _contiguous_blocks(batches: list[np.ndarray]) -> bool:
    """True when every batch holds consecutive example numbers (only whole blocks moved)."""
    for batch in batches:
        ordered = np.sort(batch)
        if len(ordered) > 1 and not np.array_equal(ordered, np.arange(ordered[0], ordered[-1] + 1)):
            return False
    return True


def check_indices_shuffled(fn: Callable[..., Any], seed: int = 31) -> None:
    """The order is a uniformly random permutation: not sorted, not blocks, every order possible."""
    with _global_random_state_kept():
        for k, (num_examples, batch_size) in enumerate([(20, 5), (64, 8), (50, 7), (300, 32)]):
            rng = _rng(seed + k)
            batches = _batches(fn, num_examples, batch_size, rng)
            order = np.concatenate(batches)
            context = f"minibatch_indices({num_examples}, {batch_size}, rng)"
            if np.array_equal(order, np.arange(num_examples)):
                fail(
                    f"{context}: your result matches a known mistake, no shuffle: the batches "
                    f"are 0..{batch_size - 1}, {batch_size}..{2 * batch_size - 1}, ... in order.",
                    hint="shuffle all the examples first, then cut the shuffled order",
                )
            if np.array_equal(order, np.arange(num_examples)[::-1]):
                fail(
                    f"{context}: the examples come in reverse order; expected a random order.",
                    hint="shuffle with rng.permutation(num_examples)",
                )
            if _contiguous_blocks(batches):
                fail(
                    f"{context}: your result matches a known mistake, only the batches (or the "
                    "examples inside each batch) shuffled: every batch holds consecutive "
                    "examples, so the same examples always meet in one batch.",
                    hint="shuffle all the examples first, then cut the shuffled order into batches",
                )
        # Many epochs of a small data set: every example must be able to land anywhere, and the
        # orders must be spread over the 720 possible ones (a rolled arange has only 6).
        rng = _rng(seed + 100)
        num_examples, epochs = 6, 600
        positions = np.zeros((num_examples, num_examples), dtype=int)
        orders = set()
        for _ in range(epochs):
            order = _order(fn, num_examples, 4, rng)
            if not np.array_equal(np.sort(order), np.arange(num_examples)):
                fail(
                    f"minibatch_indices({num_examples}, 4, rng) did not return each example "
                    "exactly once.",
                    hint=INDEX_HINT,
                )
            positions[order, np.arange(num_examples)] += 1
            orders.add(tuple(order.tolist()))
        if len(orders) < 200 or positions.min() < 50 or positions.max() > 160:
            fail(
                f"Over {epochs} epochs of minibatch_indices({num_examples}, 4, rng) with one "
                f"generator, only {len(orders)} different orders of the 720 possible appeared "
                f"(a uniform shuffle gives about 400), and example positions are uneven "
                f"(an example landed on one position between {positions.min()} and "
                f"{positions.max()} times; about 100 expected): not a uniformly random order.",
                hint="use a full shuffle, rng.permutation(num_examples), rather than rolling or "
                "swapping a few entries",
            )


def check_indices_reshuffled(fn: Callable[..., Any], seed: int = 41) -> None:
    """A new order every epoch: repeated calls with one generator give different batches."""
    with _global_random_state_kept():
        num_examples, batch_size, epochs = 50, 8, 5
        context = f"minibatch_indices({num_examples}, {batch_size}, rng)"
        rng = _rng(seed)
        orders = [_order(fn, num_examples, batch_size, rng) for _ in range(epochs)]
        repeats = [
            (i, j)
            for i in range(epochs)
            for j in range(i + 1, epochs)
            if np.array_equal(orders[i], orders[j])
        ]
        if not repeats:
            return
        first, second = repeats[0]
        others = [_order(fn, num_examples, batch_size, _rng(seed + k)) for k in (1, 2)]
        same_for_other_seeds = np.array_equal(*others)
        uses_global = _global_state_changed_by(lambda: fn(num_examples, batch_size, _rng(seed)))
        if uses_global:
            fail(
                f"{context}: epochs {first + 1} and {second + 1} have the same order. Your result "
                "matches a known mistake, reseeding NumPy's global random state "
                "(np.random.seed) inside the function, so every epoch starts over.",
                hint="never seed inside the function: draw from the rng you are given, "
                "rng.permutation(num_examples); it moves on by itself after each call",
            )
        if same_for_other_seeds:
            fail(
                f"{context}: epochs {first + 1} and {second + 1} have the same order, and "
                "generators with different seeds give the same batches too. Your result matches "
                "a known mistake, the same order every epoch whatever rng is: a new generator "
                "with a fixed seed made inside the function (np.random.default_rng(0) or "
                "similar), or a shuffled order kept from an earlier call.",
                hint="use the rng argument itself and shuffle on every call; its state advances, "
                "so the next call gives a new order",
            )
        fail(
            f"{context}: your result matches a known mistake, the same order every epoch "
            f"(epochs {first + 1} and {second + 1} of {epochs}, drawn with one generator, are "
            "identical).",
            hint="shuffle anew on every call (rng.permutation(num_examples)); do not keep or "
            "reuse a shuffled order between calls",
        )


def check_indices_reproducible(fn: Callable[..., Any], seed: int = 51) -> None:
    """The batches depend only on rng: same seed, same batches; NumPy's global state unused."""
    num_examples, batch_size = 40, 6
    context = f"minibatch_indices({num_examples}, {batch_size}, rng)"
    with _global_random_state_kept():
        if _global_state_changed_by(lambda: fn(num_examples, batch_size, _rng(seed))):
            fail(
                f"{context} used NumPy's global random state: your result matches a known "
                "mistake, np.random.shuffle / np.random.permutation / np.random.seed instead "
                "of the generator you are given.",
                hint="draw every random number from rng (rng.permutation(num_examples)); the "
                "global state is shared with every other piece of code, so results could not "
                "be reproduced from rng alone",
            )
        runs = []
        for global_seed in (1, 2):
            np.random.seed(global_seed)
            rng = _rng(seed)
            runs.append([_order(fn, num_examples, batch_size, rng) for _ in range(3)])
        for epoch, (a, b) in enumerate(zip(*runs, strict=True)):
            if not np.array_equal(a, b):
                fail(
                    f"{context}: two generators made with the same seed gave different batches "
                    f"in epoch {epoch + 1}: your result matches a known mistake, randomness from "
                    "outside rng (an unseeded np.random.default_rng() or another source).",
                    hint="draw the order from the rng argument only: the same seed must give "
                    "the same batches, so an experiment can be repeated exactly",
                )
        others = [_order(fn, num_examples, batch_size, _rng(seed + k)) for k in range(1, 4)]
        if all(np.array_equal(o, runs[0][0]) for o in others):
            fail(
                f"{context}: generators with different seeds all gave the same batches: the "
                "function ignores rng.",
                hint="shuffle with rng.permutation(num_examples)",
            )


# --- Exercise 2: the gradient of a linear model ---------------------------------------------------


def _mean_squared_without_half(w, b, X, y):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * r.mean()


GRADIENT_MISTAKES = [
    Mistake(
        "the sum over the batch instead of the mean (the 1/B is missing)",
        "the loss is a mean over the batch: divide by the number of examples in it",
        lambda w, b, X, y: (X.T @ (X @ w + b - y), (X @ w + b - y).sum()),
    ),
    Mistake(
        "a factor 2 too many (the gradient of the mean squared error without the 1/2)",
        "the loss carries a factor of one half: check what differentiating the square does to it",
        _mean_squared_without_half,
    ),
    Mistake(
        "the sign flipped (residual y - prediction)",
        "the residual is prediction minus target; with target minus prediction the gradient "
        "points uphill",
        lambda w, b, X, y: (-(X.T @ (X @ w + b - y)) / len(y), -(X @ w + b - y).mean()),
    ),
    Mistake(
        "the bias gradient left out (grad_b = 0)",
        "the bias shifts every prediction by 1, so it has a gradient of its own",
        lambda w, b, X, y: (X.T @ (X @ w + b - y) / len(y), 0.0),
    ),
    Mistake(
        "the bias left out of the prediction (r = X @ w - y)",
        "every prediction includes the bias: check the residual",
        lambda w, b, X, y: (X.T @ (X @ w - y) / len(y), (X @ w - y).mean()),
    ),
    Mistake(
        "X not transposed (X @ r instead of X.T @ r)",
        "X has shape (B, d), one example per row: the weight gradient has one entry per "
        "feature, like w",
        lambda w, b, X, y: (X @ (X @ w + b - y) / len(y), (X @ w + b - y).mean()),
    ),
    Mistake(
        "the bias gradient summed while grad_w is averaged",
        "average both gradients over the batch",
        lambda w, b, X, y: (X.T @ (X @ w + b - y) / len(y), (X @ w + b - y).sum()),
    ),
    Mistake(
        "divided by the number of features d instead of the batch size B",
        "the mean runs over the examples (rows of X): divide by len(y), not X.shape[1]",
        lambda w, b, X, y: (
            X.T @ (X @ w + b - y) / X.shape[1],
            (X @ w + b - y).sum() / X.shape[1],
        ),
    ),
]


def _gradient_outputs(result: Any, context: str, d: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(
            f"{context} returned {describe(result)}; expected a tuple (grad_w, grad_b).",
            hint="end the function with `return grad_w, grad_b`",
        )
    grad_w, grad_b = result
    if not isinstance(grad_w, np.ndarray):
        fail(
            f"{context}: grad_w is {describe(grad_w)}; expected a NumPy array of shape ({d},).",
            hint="NumPy operations on whole arrays already give an array",
        )
    if grad_w.shape != (d,):
        hint = "grad_w has one entry per feature, like w"
        if grad_w.ndim == 1 and grad_w.shape[0] != d:
            hint = "X has shape (B, d) with one example per row: use X.T @ r, not X @ r"
        fail(f"{context}: grad_w has shape {grad_w.shape}, expected ({d},).", hint=hint)
    if isinstance(grad_b, bool) or not (
        isinstance(grad_b, (int, float, np.integer, np.floating))
        or (isinstance(grad_b, np.ndarray) and grad_b.shape == ())
    ):
        extra = f" (shape {grad_b.shape})" if isinstance(grad_b, np.ndarray) else ""
        fail(
            f"{context}: grad_b is {describe(grad_b)}{extra}; expected a single number, like b.",
            hint="the bias gradient is one number, like b",
        )
    return np.asarray(grad_w), np.asarray(grad_b)


def _gradient_case(
    fn: Callable[..., Any], w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, label: str
) -> None:
    context = (
        f"linear_gradient(w, b, X, y) with {label} (X {X.dtype}{list(X.shape)}, b={float(b):.4g})"
    )
    args = [w.copy(), b, X.copy(), y.copy()]
    try:
        result = call(fn, "linear_gradient", *args)
    except AssertionError as error:
        text = str(error)
        if "matmul" in text or "aligned" in text or "broadcast" in text:
            fail(
                text,
                hint="X has shape (B, d), w shape (d,), y shape (B,): there is one prediction per "
                "example, shape (B,), and one weight gradient per feature, shape (d,)",
            )
        raise
    grad_w, grad_b = _gradient_outputs(result, context, X.shape[1])
    want_w, want_b = linear_gradient(w, b, X, y)
    want_w, want_b = np.asarray(want_w, dtype=np.float64), np.asarray(want_b, dtype=np.float64)
    rtol = 2e-4 if X.dtype == np.float32 else 1e-8
    residual_scale = _scale(X) * _scale(w) * X.shape[1] + abs(float(b)) + _scale(y)
    scale = (_scale(X) + 1.0) * residual_scale
    if X.dtype == np.float32 and grad_w.dtype != np.float32:
        fail(
            f"{context}: grad_w came back as {grad_w.dtype}; float32 inputs should give a "
            "float32 gradient.",
            hint="compute with NumPy operations on the inputs; avoid np.float64(...) "
            "constants or .astype(float)",
        )
    got = (grad_w.astype(np.float64), grad_b.astype(np.float64))
    float_args = (w.astype(np.float64), float(b), X.astype(np.float64), y.astype(np.float64))
    hints = {
        "grad_w": "each example contributes its residual times its features, averaged over the "
        "batch",
        "grad_b": "the bias contributes each example's residual times 1, averaged over the batch",
    }
    _compare_outputs(
        context, got, (want_w, want_b), [scale, scale], rtol, GRADIENT_MISTAKES, float_args, hints
    )


def _problem(rng: Rng, batch: int, dim: int, x_scale: float = 1.0, y_scale: float = 1.0) -> Problem:
    X = x_scale * rng.standard_normal((batch, dim))
    w = rng.standard_normal(dim) / x_scale
    b = float(rng.standard_normal())
    y = y_scale * rng.standard_normal(batch)
    return w, b, X, y


def check_gradient_random(fn: Callable[..., Any], seed: int = 61) -> None:
    """Random batches of several shapes and scales agree with the reference; mistakes named."""
    rng = _rng(seed)
    for batch, dim in [(8, 3), (32, 20), (5, 5), (1, 4), (100, 2), (3, 10), (12, 1)]:
        w, b, X, y = _problem(rng, batch, dim)
        _gradient_case(fn, w, b, X, y, f"random data, B={batch}, d={dim}")
    for x_scale, y_scale in [(1e-3, 1e-3), (1e3, 1e3), (1.0, 1e4)]:
        w, b, X, y = _problem(rng, 16, 4, x_scale, y_scale)
        _gradient_case(fn, w, b, X, y, f"features of size {x_scale:g}, targets {y_scale:g}")


def check_gradient_edge_cases(fn: Callable[..., Any], seed: int = 71) -> None:
    """Exact zeros, a perfect fit, one example, one feature, and float32 kept as float32."""
    rng = _rng(seed)
    dim = 4
    X = rng.integers(-3, 4, size=(6, dim)).astype(np.float64)
    w_true = np.array([1.0, -2.0, 0.0, 3.0])
    _gradient_case(fn, np.zeros(dim), 0.0, X, np.zeros(6), "all zeros (w = 0, b = 0, y = 0)")
    _gradient_case(fn, w_true, 2.0, X, X @ w_true + 2.0, "a perfect fit (the gradient is 0)")
    X_zero_column = X.copy()
    X_zero_column[:, 1] = 0.0
    w, b, _, y = _problem(rng, 6, dim)
    _gradient_case(fn, w, b, X_zero_column, y, "a feature that is exactly 0 in every example")
    _gradient_case(fn, np.zeros(dim), 1.5, np.zeros((3, dim)), np.ones(3), "X all zeros")
    w, b, X1, y1 = _problem(rng, 1, 1)
    _gradient_case(fn, w, b, X1, y1, "one example with one feature")
    w, b, X2, y2 = _problem(rng, 9, 5)
    w, X2, y2 = (a.astype(np.float32) for a in (w, X2, y2))
    _gradient_case(fn, w, b, X2, y2, "float32 arrays")


def check_gradient_inputs_unchanged(fn: Callable[..., Any], seed: int = 81) -> None:
    """linear_gradient leaves w, X and y as they were, and works on read-only arrays."""
    rng = _rng(seed)
    w, b, X, y = _problem(rng, 7, 3)
    check_inputs_unchanged(
        lambda args: call(fn, "linear_gradient", *args),
        [w, b, X, y],
        ["w", "b", "X", "y"],
        "linear_gradient",
        hint="build new arrays (r = X @ w + b - y) instead of `y -= ...` or `X[...] = ...`; "
        "the caller still needs the data",
    )
    _gradient_case(fn, w, b, X, y, "inputs it must leave unchanged")


# --- Exercise 3: one epoch -----------------------------------------------------------------------


def _epoch_variant(
    w: np.ndarray,
    b: float,
    X: np.ndarray,
    y: np.ndarray,
    lr: float,
    batch_size: int,
    rng: Rng,
    *,
    shuffle: bool = True,
    gradient_on: str = "batch",
    loss_after_step: bool = False,
    loss_on: str = "batch",
    loss_factor: float = 0.5,
    update_bias: bool = True,
    direction: float = -1.0,
    drop_last: bool = False,
    one_step: bool = False,
    return_start: bool = False,
) -> tuple[np.ndarray, Any, np.ndarray]:
    """The reference epoch with one thing done wrong, to recognise a student's mistake."""
    n = len(y)
    if shuffle:
        batches = minibatch_indices(n, batch_size, rng)
    else:
        batches = [np.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if drop_last and n % batch_size:
        batches = batches[:-1]
    start_w, start_b = w, b

    def loss(w, b, idx):
        Xs, ys = (X, y) if loss_on == "all" else (X[idx], y[idx])
        return 2 * loss_factor * linear_loss(w, b, Xs, ys)

    losses, grads = [], []
    for idx in batches:
        if not loss_after_step:
            losses.append(loss(w, b, idx))
        Xs, ys = (X, y) if gradient_on == "all" else (X[idx], y[idx])
        grad_w, grad_b = linear_gradient(w, b, Xs, ys)
        if one_step:
            grads.append((grad_w, grad_b))
            continue
        w = w + direction * lr * grad_w
        if update_bias:
            b = b + direction * lr * grad_b
        if loss_after_step:
            losses.append(loss(w, b, idx))
    if one_step:
        w = w - lr * np.mean([g for g, _ in grads], axis=0)
        b = b - lr * float(np.mean([g for _, g in grads]))
    if return_start:
        w, b = start_w, start_b
    return w, b, np.array(losses)


EPOCH_MISTAKES = [
    Mistake(
        "no shuffling (the batches taken in their stored order)",
        "take the batches from minibatch_indices(len(y), batch_size, rng)",
        lambda *a: _epoch_variant(*a, shuffle=False),
    ),
    Mistake(
        "the full-batch gradient used on every step",
        "minibatch SGD uses the gradient of the current batch only",
        lambda *a: _epoch_variant(*a, gradient_on="all"),
    ),
    Mistake(
        "the loss recorded after the step instead of before it",
        "compute the batch's loss first, at the parameters the gradient is taken at, then step",
        lambda *a: _epoch_variant(*a, loss_after_step=True),
    ),
    Mistake(
        "the loss computed on the whole data set instead of the batch",
        "record the loss of the current batch: the batch loss is what training sees",
        lambda *a: _epoch_variant(*a, loss_on="all"),
    ),
    Mistake(
        "the loss without the 1/2 (mean squared error)",
        "this course's loss carries a factor of one half: record it with the given linear_loss",
        lambda *a: _epoch_variant(*a, loss_factor=1.0),
    ),
    Mistake(
        "the bias never updated",
        "the bias is a parameter too: check that it takes a step on every batch",
        lambda *a: _epoch_variant(*a, update_bias=False),
    ),
    Mistake(
        "gradient ascent (w + lr * grad_w)",
        "a descent step moves against the gradient: check the sign of the step",
        lambda *a: _epoch_variant(*a, direction=1.0),
    ),
    Mistake(
        "the last partial batch skipped",
        "loop over every batch minibatch_indices returns, the short last one included",
        lambda *a: _epoch_variant(*a, drop_last=True),
    ),
    Mistake(
        "one step per epoch (batch gradients averaged, one update at the end)",
        "update the parameters after every batch: that is what makes minibatch SGD fast",
        lambda *a: _epoch_variant(*a, one_step=True),
    ),
    Mistake(
        "the starting parameters returned instead of the updated ones",
        "return the parameters after the last batch's step",
        lambda *a: _epoch_variant(*a, return_start=True),
    ),
]


def _epoch_outputs(
    result: Any, context: str, d: int, num_batches: int, partial_last: bool
) -> list[np.ndarray]:
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(
            f"{context} returned {describe(result)}; expected a tuple (new_w, new_b, "
            "batch_losses).",
            hint="end the function with `return w, b, np.array(losses)`",
        )
    new_w, new_b, losses = result
    if not isinstance(new_w, np.ndarray) or new_w.shape != (d,):
        fail(
            f"{context}: new_w is {describe(new_w)}; expected an array of shape ({d},), like w.",
            hint="an SGD step keeps the shape of w",
        )
    new_b_array = np.asarray(new_b)
    if (
        isinstance(new_b, bool)
        or new_b_array.shape != ()
        or not np.issubdtype(new_b_array.dtype, np.number)
    ):
        fail(
            f"{context}: new_b is {describe(new_b)}; expected a single number, like b.",
            hint="the bias stays a single number after a step",
        )
    if isinstance(losses, (list, tuple)):
        losses = np.asarray(losses, dtype=np.float64) if len(losses) else np.zeros(0)
    if isinstance(losses, np.ndarray) and partial_last and losses.shape == (num_batches - 1,):
        fail(
            f"{context}: {num_batches - 1} batch losses for {num_batches} batches: your result "
            "matches a known mistake, the last partial batch skipped.",
            hint="loop over every batch minibatch_indices returns, the short last one included",
        )
    if not isinstance(losses, np.ndarray) or losses.shape != (num_batches,):
        shape = losses.shape if isinstance(losses, np.ndarray) else None
        fail(
            f"{context}: batch_losses is {describe(losses)}"
            f"{f' with shape {shape}' if shape is not None else ''}; expected one loss per "
            f"batch, an array of shape ({num_batches},).",
            hint="append each batch's loss to a list inside the loop and return np.array(losses)",
        )
    return [new_w.astype(np.float64), new_b_array.astype(np.float64), losses.astype(np.float64)]


def _epoch_case(
    fn: Callable[..., Any], problem: Problem, lr: float, batch_size: int, seed: int, label: str
) -> None:
    """The student's epoch against the reference on same-seed generators; names a known mistake."""
    w, b, X, y = problem
    n, d = X.shape
    context = f"train_epoch(w, b, X, y, lr={lr:g}, batch_size={batch_size}, rng) on {label}"
    context += f" (X of shape {X.shape})"
    with _global_random_state_kept(), references_inside(fn):
        result = call(
            fn, "train_epoch", w.copy(), b, X.copy(), y.copy(), lr, batch_size, _rng(seed)
        )
    got = _epoch_outputs(
        result, context, d, len(_expected_sizes(n, batch_size)), n % batch_size != 0
    )
    want_w, want_b, want_losses = train_epoch(w, b, X, y, lr, batch_size, _rng(seed))
    want = [np.asarray(want_w, float), np.asarray(want_b, float), np.asarray(want_losses, float)]
    rtol = 1e-8
    scales = [_scale(w, want[0]) + 1e-12, _scale(b, want[1]) + 1e-12, _scale(want[2]) + 1e-12]
    hints = {
        "new_w": "SGD steps after every batch, with that batch's gradient at the current w",
        "new_b": "the bias takes a step after every batch, like the weights",
        "batch_losses": "batch_losses[k] is the loss of batch k at the parameters before its step",
    }
    args = (w, b, X, y, lr, batch_size, _rng(seed))
    _compare_outputs(context, got, want, scales, rtol, EPOCH_MISTAKES, args, hints)


def _regression(rng: Rng, n: int, d: int, noise: float = 0.3) -> Problem:
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.5 + noise * rng.standard_normal(n)
    return rng.standard_normal(d), float(rng.standard_normal()), X, y


def check_epoch_own_work(fn: Callable[..., Any], seed: int = 131) -> None:
    """The epoch is the student's own (the earlier exercises are the reference stand-ins)."""
    w, b, X, y = _regression(_rng(seed), 5, 1)
    with _global_random_state_kept(), references_inside(fn):
        call(fn, "train_epoch", w, b, X, y, 0.25, 2, _rng(seed))


def check_epoch_random(fn: Callable[..., Any], seed: int = 91) -> None:
    """Epochs on random regression problems agree with the reference (same seed, same batches)."""
    rng = _rng(seed)
    for k, (n, d, batch_size, lr) in enumerate(
        [(50, 3, 8, 0.1), (64, 5, 16, 0.05), (30, 2, 1, 0.02), (37, 4, 10, 0.2), (200, 6, 32, 0.1)]
    ):
        w, b, X, y = _regression(rng, n, d)
        _epoch_case(fn, (w, b, X, y), lr, batch_size, seed + k, f"random data, {n} examples")


def check_epoch_rng(fn: Callable[..., Any], seed: int = 101) -> None:
    """The epoch draws its batches from rng once: reproducible, new every epoch, no global state."""
    rng = _rng(seed)
    w, b, X, y = _regression(rng, 40, 3)
    context = "train_epoch(w, b, X, y, lr=0.1, batch_size=8, rng)"
    with _global_random_state_kept(), references_inside(fn):
        mine, ref = _rng(seed), _rng(seed)
        call(fn, "train_epoch", w.copy(), b, X.copy(), y.copy(), 0.1, 8, mine)
        minibatch_indices(len(y), 8, ref)
        if mine.bit_generator.state == _rng(seed).bit_generator.state:
            fail(
                f"{context} never drew from rng: your result matches a known mistake, no "
                "shuffling, or batches drawn from a generator other than rng.",
                hint="get the batches with minibatch_indices(len(y), batch_size, rng), passing "
                "the rng you were given",
            )
        if mine.bit_generator.state != ref.bit_generator.state:
            fail(
                f"{context} drew from rng more (or less) than one epoch's shuffle needs.",
                hint="call minibatch_indices(len(y), batch_size, rng) exactly once per epoch, "
                "before the loop",
            )
        if _global_state_changed_by(
            lambda: fn(w.copy(), b, X.copy(), y.copy(), 0.1, 8, _rng(seed))
        ):
            fail(
                f"{context} used NumPy's global random state (np.random.*).",
                hint="every random choice comes from the rng argument",
            )
        first = call(fn, "train_epoch", w.copy(), b, X.copy(), y.copy(), 0.1, 8, _rng(seed))
        again = call(fn, "train_epoch", w.copy(), b, X.copy(), y.copy(), 0.1, 8, _rng(seed))
        if not all(
            np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(first, again, strict=False)
        ):
            fail(
                f"{context}: two runs with generators of the same seed gave different results.",
                hint="draw every random choice from rng, so a run can be repeated exactly",
            )
    _epoch_case(fn, (w, b, X, y), 0.1, 8, seed + 1, "a second seed")


def check_epoch_edge_cases(fn: Callable[..., Any], seed: int = 111) -> None:
    """lr = 0, exact zeros, one batch holding everything, batches of one, a partial last batch."""
    data = _regression(_rng(seed), 23, 3)
    zeros = (np.zeros(3), 0.0, np.zeros((10, 3)), np.zeros(10))
    identical = (np.zeros(2), 0.0, np.ones((6, 2)), np.full(6, 2.0))
    cases = [
        (data, 0.0, 5, "lr = 0 (nothing moves; the losses still count)"),
        (zeros, 0.3, 4, "all zeros (every loss and gradient is 0)"),
        (data, 0.1, 100, "batch_size larger than the data set"),
        (data, 0.1, 23, "batch_size equal to the data set"),
        (data, 0.05, 1, "batch_size 1"),
        (data, 0.1, 7, "23 examples in batches of 7"),
        (identical, 0.25, 2, "identical examples"),
    ]
    for k, (problem, lr, batch_size, label) in enumerate(cases):
        _epoch_case(fn, problem, lr, batch_size, seed + k, label)


def check_epoch_inputs_unchanged(fn: Callable[..., Any], seed: int = 121) -> None:
    """train_epoch leaves w, X and y as they were, and works on read-only arrays."""
    rng = _rng(seed)
    w, b, X, y = _regression(rng, 20, 3)

    def run(args: Sequence[Any]) -> Any:
        with _global_random_state_kept(), references_inside(fn):
            return call(fn, "train_epoch", *args, 0.1, 6, _rng(seed))

    check_inputs_unchanged(
        run,
        [w, b, X, y],
        ["w", "b", "X", "y"],
        "train_epoch",
        hint="make each step a new array rather than updating w in place: the caller keeps "
        "the starting parameters and the data",
    )
    _epoch_case(fn, (w, b, X, y), 0.1, 6, seed, "inputs it must leave unchanged")


# --- Exercise 4: how noisy a minibatch gradient is (a thinking exercise) -------------------------
# B distinct examples of N: E||batch mean - g||^2 = sigma^2 / B * (N - B) / (N - 1), where
# sigma^2 = mean ||g_i - g||^2; pairs i != j in the batch are negatively correlated.
def _spread(grads: Any, centre: bool = True) -> float:
    grads = np.asarray(grads, dtype=np.float64).reshape(len(grads), -1)
    return float(np.mean(np.sum((grads - centre * grads.mean(axis=0)) ** 2, axis=1)))


def minibatch_gradient_noise(per_example_grads: Any, batch_size: int, centre: bool = True) -> float:
    """Reference: E ||mean of a random batch of distinct rows - mean of all rows||^2."""
    n = len(per_example_grads)
    return _spread(per_example_grads, centre) / batch_size * (n - batch_size) / (n - 1)


NOISE_MISTAKES = [
    Mistake(
        "the noise of a batch drawn with replacement (sigma^2 / B)",
        "a batch never holds an example twice: at B = N it is the whole data set, and the error 0",
        lambda g, bs: _spread(g) / bs,
    ),
    Mistake(
        "the factor (N - B) / N",
        "try N = 2, B = 1 by hand: the two possible batches give an error you can compute",
        lambda g, bs: _spread(g) / bs * (len(g) - bs) / len(g),
    ),
    Mistake(
        "the spread measured around zero instead of around the full gradient",
        "the noise is the distance from the full gradient g: subtract the mean of the rows first",
        lambda g, bs: minibatch_gradient_noise(g, bs, centre=False),
    ),
    Mistake(
        "the root of the expected squared error",
        "the question asks for the expected *squared* distance, not its square root",
        lambda g, bs: np.sqrt(minibatch_gradient_noise(g, bs)),
    ),
    Mistake(
        "the variance averaged over the coordinates instead of summed",
        "||.||^2 adds up the squared errors of all the coordinates",
        lambda g, bs: minibatch_gradient_noise(g, bs) / np.shape(g)[-1],
    ),
]


NOISE_HINT = (
    "write the batch mean minus g as (1/B) sum over all N examples of (g_i - g) * [i in the "
    "batch]; expand the square, and use how likely one example, and a pair of different "
    "examples, is to be in the batch"
)


def _check_noise_case(fn: Callable[..., Any], grads: np.ndarray, bs: int, rtol=1e-8) -> None:
    before = grads.copy()
    context = f"minibatch_gradient_noise(per_example_grads={describe(before)}, {bs})"
    want, name = minibatch_gradient_noise(before, bs), "minibatch_gradient_noise"
    atol = 1e-12 * (1.0 + _spread(before, centre=False))
    options = dict(mistakes=NOISE_MISTAKES, hint=NOISE_HINT, rtol=rtol, atol=atol, context=context)
    check_numbers(fn, name, (grads, bs), want, **options)
    if not np.array_equal(before, grads):
        fail(f"{context} changed per_example_grads.", hint="do not modify the input array")


def check_noise_values(fn: Callable[..., Any], seed: int = 141) -> None:
    """Random per-example gradients (off-centre, 1 to 30 coordinates), batch sizes 1 to N."""
    rng = _rng(seed)
    for n, p in [(2, 1), (5, 3), (40, 1), (100, 7), (1000, 30), (4096, 21)]:
        grads = rng.standard_normal((n, p)) * rng.uniform(0.1, 10, p) + rng.standard_normal(p)
        for bs in sorted({1, 2, n // 3 + 1, n - 1, int(rng.integers(1, n + 1))} - {0}):
            _check_noise_case(fn, grads, bs)


def check_noise_edge_cases(fn: Callable[..., Any], seed: int = 151) -> None:
    """B = N gives 0, identical examples give 0, float32 input, a large offset, N = 2."""
    rng = _rng(seed)
    _check_noise_case(fn, rng.standard_normal((30, 4)) + 5.0, 30)
    _check_noise_case(fn, np.tile([1.5, -2.0, 0.5], (12, 1)), 5)
    _check_noise_case(fn, rng.standard_normal((30, 4)).astype(np.float32), 7, rtol=1e-5)
    _check_noise_case(fn, rng.standard_normal((50, 3)) + 100.0, 10, rtol=1e-6)
    for bs in (1, 2):
        _check_noise_case(fn, np.array([[3.0, 1.0], [-1.0, 1.0]]), bs)
