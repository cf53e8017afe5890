"""Feedback helpers for visible tests: what was expected, what came back, and a hint.

They hold no reference implementation: every expected value is written out in the test cell.
A failed check raises ``AssertionError`` with a message written for a student; an exception
raised by the student's own code (``NotImplementedError`` from an untouched stub included)
passes through unchanged so that its traceback points at their code.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "expect_array",
    "expect_arrays",
    "expect_dtype",
    "expect_inputs_unchanged",
    "expect_number",
    "format_value",
    "substituted",
]


def format_value(value: Any, precision: int = 6) -> str:
    """A short, readable rendering of a value for a feedback message."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=precision, suppress=False, threshold=20, edgeitems=3):
            return f"array({np.array2string(value, separator=', ')}, dtype={value.dtype})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{precision}g}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _fail(call: str, problem: str, hint: str) -> None:
    lines = [f"{call}: {problem}"]
    if hint:
        lines.append(f"Hint: {hint}")
    raise AssertionError("\n".join(lines))


def expect_array(
    got: Any,
    expected: Any,
    *,
    call: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    what: str = "result",
) -> None:
    """Check that ``got`` is a NumPy array with the expected shape and values."""
    want = np.asarray(expected, dtype=float)
    if not isinstance(got, np.ndarray):
        _fail(
            call,
            f"the {what} should be a NumPy array, but it is a {type(got).__name__}: "
            f"{format_value(got)}",
            hint or "build the result with NumPy operations on the input arrays",
        )
    if got.shape != want.shape:
        _fail(
            call,
            f"the {what} has shape {got.shape}, expected shape {want.shape}",
            hint or "the result should have the same shape as the parameters",
        )
    if not np.issubdtype(got.dtype, np.number):
        _fail(call, f"the {what} has dtype {got.dtype}, expected numbers", hint)
    if not np.all(np.isfinite(got)):
        _fail(call, f"the {what} contains NaN or inf: {format_value(got)}", hint)
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        _fail(
            call,
            f"the {what} is wrong.\n  expected: {format_value(want)}\n  got:      "
            f"{format_value(got)}",
            hint,
        )


def expect_arrays(
    got: Any,
    expected: Sequence[Any],
    *,
    names: Sequence[str],
    call: str,
    hints: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Check a tuple of arrays, such as ``(new_params, new_velocity)``, element by element."""
    if not isinstance(got, tuple) or len(got) != len(expected):
        _fail(
            call,
            f"expected a tuple of {len(expected)} arrays ({', '.join(names)}), got "
            f"{format_value(got)}",
            f"end the function with `return {', '.join(names)}`",
        )
    for index, (value, want, name) in enumerate(zip(got, expected, names, strict=True)):
        hint = hints[index] if hints else ""
        expect_array(value, want, call=call, hint=hint, rtol=rtol, atol=atol, what=f"`{name}`")


def expect_number(
    got: Any,
    expected: float,
    *,
    call: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-12,
) -> None:
    """Check that ``got`` is a single real number close to ``expected``."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        _fail(call, f"expected a number, got {format_value(got)}", hint)
    value = float(got)
    if not math.isfinite(value):
        _fail(call, f"expected {expected:.6g}, got {value}", hint)
    if not math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
        _fail(call, f"expected {expected:.6g}, got {value:.6g}", hint)


def expect_dtype(got: Any, dtype: Any, *, call: str, hint: str = "", what: str = "result") -> None:
    """Check that ``got`` is an array (or NumPy scalar) of the given dtype."""
    want = np.dtype(dtype)
    if not isinstance(got, (np.ndarray, np.generic)):
        _fail(call, f"the {what} should be a NumPy array of {want}, got {format_value(got)}", hint)
    if got.dtype != want:
        _fail(call, f"the {what} has dtype {got.dtype}, expected {want}", hint)


def expect_inputs_unchanged(
    fn: Any, *args: Any, call: str, names: Sequence[str], hint: str = "", **kwargs: Any
) -> Any:
    """Call ``fn(*args, **kwargs)``, check no array argument was modified, return the result."""
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    result = fn(*args, **kwargs)
    for name, original, arg in zip(names, before, args, strict=False):
        if original is not None and not np.array_equal(original, arg):
            _fail(
                call,
                f"the input `{name}` was changed in place: it was {format_value(original)} "
                f"and is now {format_value(arg)}",
                hint or f"build a new array instead of `{name} -= ...` or `{name}[...] = ...`",
            )
    return result


@contextlib.contextmanager
def substituted(fn: Any, **stand_ins: Any) -> Iterator[None]:
    """Let ``fn`` see stand-in helpers (by global name) while the block runs, then restore them.

    A test of one exercise uses it so that a mistake in an earlier exercise, which ``fn`` calls,
    is not counted twice: ``with substituted(gradient_descent, gd_step=stand_in): ...``.
    """
    namespace = getattr(fn, "__globals__", None)
    if namespace is None:
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in stand_ins}
    namespace.update(stand_ins)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
