"""The machinery of hidden tests: call a student's function safely, compare, and explain failures.

A hidden test fails by raising ``AssertionError`` with a message meant for the student: which
property failed, on what input, expected against got, and, when the answer matches a known
mistake, the mistake's name and how to fix it. It never prints to stderr (nbgrader would score
that as 0), and it never trusts the student's code to leave its inputs or NumPy alone.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# numpy functions captured at import time, before any student code could replace them.
_allclose = np.allclose
_array_equal = np.array_equal
_isfinite = np.isfinite
_abs = np.abs
_max = np.max


class GradingFailure(AssertionError):
    """A hidden test found a wrong answer; the message says what and why."""


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: a name, a fix, and a function that computes what it returns."""

    name: str
    advice: str
    compute: Callable[..., Any]


def describe(value: Any) -> str:
    """A short rendering of a value for messages."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=12, edgeitems=2):
            return f"array(shape={value.shape}, dtype={value.dtype}, values={value})"
    text = repr(value)
    return text if len(text) <= 160 else text[:160] + "..."


def fail(problem: str, *, hint: str = "") -> None:
    message = problem if not hint else f"{problem}\nHint: {hint}"
    raise GradingFailure(message)


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Silence warnings and prints from student code so that nothing reaches stderr."""
    sink = io.StringIO()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
            yield sink


def copy_args(args: Sequence[Any]) -> list[Any]:
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def call(fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function quietly; turn its exceptions into a clear failure."""
    if not callable(fn):
        fail(f"`{name}` should be a function, but it is {describe(fn)}.")
    try:
        with quiet():
            return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any error in student code is reported, not raised
        shapes = ", ".join(
            f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else describe(a) for a in args
        )
        raise GradingFailure(
            f"`{name}` raised {type(error).__name__}: {error}\n"
            f"(called with {shapes}{', ' if kwargs else ''}"
            f"{', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        ) from error


def as_outputs(result: Any, names: Sequence[str], fn_name: str) -> list[np.ndarray]:
    """Check the structure of what the student returned: one array, or a tuple of len(names)."""
    if len(names) == 1:
        items = [result]
    else:
        if not isinstance(result, (tuple, list)) or len(result) != len(names):
            fail(
                f"`{fn_name}` should return a tuple of {len(names)} arrays "
                f"({', '.join(names)}), but it returned {describe(result)}.",
                hint=f"end the function with `return {', '.join(names)}`",
            )
        items = list(result)
    outputs = []
    for item, name in zip(items, names, strict=True):
        if not isinstance(item, np.ndarray) and not np.isscalar(item):
            fail(f"`{fn_name}` returned {describe(item)} for `{name}`; expected a NumPy array.")
        outputs.append(np.asarray(item))
    return outputs


def max_relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """Largest absolute difference, relative to the size of the expected values."""
    scale = max(float(_max(_abs(want))) if want.size else 0.0, 1e-30)
    return (
        float(_max(_abs(got.astype(np.float64) - want.astype(np.float64)))) / scale
        if want.size
        else 0.0
    )


def tolerance(dtype: np.dtype) -> float:
    """Relative tolerance for comparing a student's result with the reference."""
    return 2e-4 if np.dtype(dtype) == np.float32 else 1e-8


def matches(got: Sequence[np.ndarray], want: Sequence[np.ndarray], rtol: float) -> bool:
    """True when every output has the expected shape, is finite where expected, and is close."""
    for g, w in zip(got, want, strict=True):
        if g.shape != w.shape:
            return False
        if not _array_equal(_isfinite(g), _isfinite(w)):
            return False
        finite = _isfinite(w)
        if finite.any() and max_relative_error(g[finite], w[finite]) > rtol:
            return False
    return True


def explain_mismatch(
    fn_name: str,
    names: Sequence[str],
    got: Sequence[np.ndarray],
    want: Sequence[np.ndarray],
    context: str,
    mistakes: Sequence[Mistake],
    mistake_args: Sequence[Any],
    mistake_kwargs: dict[str, Any],
    rtol: float,
) -> None:
    """Fail with the first wrong output, naming a known mistake when the answer matches one."""
    for g, w, name in zip(got, want, names, strict=True):
        if g.shape != w.shape:
            fail(
                f"{context}: `{name}` has shape {g.shape}, expected {w.shape}.",
                hint="the result should have the same shape as the parameters",
            )
    for mistake in mistakes:
        try:
            with quiet():
                guessed = mistake.compute(*copy_args(mistake_args), **mistake_kwargs)
        except Exception:  # noqa: BLE001, S112 - a mistake model that cannot run simply does not match
            continue
        guessed_outputs = [np.asarray(x) for x in (guessed if len(names) > 1 else [guessed])]
        if matches(got, guessed_outputs, rtol):
            fail(
                f"{context}: your result matches a known mistake, {mistake.name}.",
                hint=mistake.advice,
            )
    for g, w, name in zip(got, want, names, strict=True):
        if not _array_equal(_isfinite(g), _isfinite(w)):
            fail(
                f"{context}: `{name}` contains NaN or inf: {describe(g)}",
                hint="look for a division by zero or a square root of a negative number",
            )
        if max_relative_error(g, w) > rtol:
            fail(
                f"{context}: `{name}` is wrong (largest error {max_relative_error(g, w):.2e} "
                f"relative to its size).\n  expected: {describe(w)}\n  got:      {describe(g)}",
                hint=f"compare `{fn_name}` line by line with the formula above",
            )
