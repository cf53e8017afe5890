"""The checking kit: call a student's function safely, compare, name known mistakes, explain.

Every notebook's hidden checks are built from these pieces, so each rule is written once:

- ``call`` runs student code quietly and turns its exceptions into a clear failure;
- ``close`` is the one closeness rule (relative, with an optional absolute floor near zero);
- ``first_matching_mistake`` is the one "name the first known mistake that reproduces this" loop;
- ``check_numbers`` grades a function that answers with one or a few numbers;
- ``check_inputs_unchanged`` is the one "inputs are left alone, read-only inputs work" check;
- ``substituted`` (from ``optimlab.checks``) lets a function see stand-in helpers while it runs.

A hidden test fails by raising ``AssertionError`` with a message meant for the student: which
property failed, on what input, expected against got, and, when the answer matches a known
mistake, the mistake's name and how to fix it. It never prints to stderr (nbgrader would score
that as 0), and it never trusts the student's code to leave its inputs or NumPy alone.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.kit import borrowing
from optimlab.checks import substituted as student_substituted

# numpy functions captured at import time, before any student code could replace them.
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
    """Fresh copies of the arrays and random generators in ``args`` (other values as they are)."""
    return [
        np.array(a, copy=True)
        if isinstance(a, np.ndarray)
        else copy.deepcopy(a)
        if isinstance(a, np.random.Generator)
        else a
        for a in args
    ]


def call(fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function quietly; turn its exceptions into a clear failure."""
    return run_student(fn, name, args, kwargs)


def run_student(
    fn: Callable[..., Any],
    name: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    what: str = "",
    hints: Mapping[str, str] | None = None,
    libraries: Sequence[str] = (),
    allowed_library_files: Sequence[str] = (),
) -> Any:
    """Run student code quietly, watched for borrowing (``autograder.kit.borrowing``).

    NotImplementedError (an unfinished stub) and a GradingFailure from nested checks pass
    through; code that called the course's references (or one of ``libraries``) fails as an
    empty answer would, saying why; any other error becomes a failure that says what was called
    (``what``, or the arguments' types) and, when its text contains a key of ``hints``, that hint.
    """
    if not callable(fn):
        fail(f"`{name}` should be a function, but it is {describe(fn)}.")
    kwargs = kwargs or {}
    handed_over = [*args, *kwargs.values()]
    try:
        with (
            quiet(),
            borrowing.watching(name, fn, handed_over, libraries, allowed_library_files) as found,
        ):
            try:
                result = fn(*args, **kwargs)
            finally:
                borrowed = list(found)
    except (NotImplementedError, GradingFailure):
        raise
    except Exception as error:  # noqa: BLE001 - any error in student code is reported, not raised
        if borrowed:
            raise GradingFailure(borrowing.borrowing_message(name, borrowed)) from None
        hint = next((h for key, h in (hints or {}).items() if key in str(error)), "")
        if what:
            message = f"{name}: {what} raised {type(error).__name__}: {error}"
        else:
            shapes = ", ".join(
                f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else describe(a)
                for a in args
            )
            keywords = "".join(f", {k}={v!r}" for k, v in kwargs.items())
            message = (
                f"`{name}` raised {type(error).__name__}: {error}\n(called with {shapes}{keywords})"
            )
        raise GradingFailure(message + (f"\nHint: {hint}" if hint else "")) from error
    if borrowed:
        raise GradingFailure(borrowing.borrowing_message(name, borrowed))
    return result


def check_own_work(fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> None:
    """The answer computes this example itself, under the borrowing watch: no reference used."""
    run_student(fn, name, args, kwargs)


@contextlib.contextmanager
def substituted(fn: Any, **stand_ins: Any) -> Iterator[None]:
    """Let ``fn`` see stand-in helpers (by global name) while the block runs, then restore them;
    the student's code may call the stand-ins (often the references) while it is watched."""
    with borrowing.stand_ins_allowed(stand_ins.values()), student_substituted(fn, **stand_ins):
        yield


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

    def same(guess: Any) -> bool:
        return matches(got, [np.asarray(x) for x in (guess if len(names) > 1 else [guess])], rtol)

    fail_if_known_mistake(context, mistakes, mistake_args, same, mistake_kwargs)
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
                hint=f"check each term of `{fn_name}` against the rule, one at a time",
            )


# --- one closeness rule, one mistake search ------------------------------------------------------
def close(got: Any, want: Any, rtol: float, atol: float = 0.0) -> bool:
    """Same shape, NaN and inf in the same places, and ``|got - want| <= max(rtol*|want|, atol)``.

    Works for numbers and arrays alike; ``rtol`` is relative to the largest expected value.
    """
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return False
    if not (_array_equal(np.isnan(g), np.isnan(w)) and _array_equal(np.isinf(g), np.isinf(w))):
        return False
    if not _array_equal(g[np.isinf(w)], w[np.isinf(w)]):
        return False
    finite = _isfinite(w)
    if not finite.any():
        return True
    scale = float(_max(_abs(w[finite])))
    return float(_max(_abs(g[finite] - w[finite]))) <= max(rtol * scale, atol)


def first_matching_mistake(
    mistakes: Sequence[Mistake],
    args: Sequence[Any],
    same: Callable[[Any], bool],
    kwargs: Mapping[str, Any] | None = None,
) -> Mistake | None:
    """The first mistake whose ``compute(*args, **kwargs)`` the student's answer reproduces.

    ``same(guess)`` says whether the student's answer equals that guess. A mistake model that
    cannot run on these inputs (or whose guess cannot be compared) simply does not match.
    """
    for mistake in mistakes:
        try:
            with quiet():
                guess = mistake.compute(*copy_args(args), **(kwargs or {}))
                if same(guess):
                    return mistake
        except Exception:  # noqa: BLE001, S112 - a mistake that cannot run does not match
            continue
    return None


def fail_if_known_mistake(
    context: str,
    mistakes: Sequence[Mistake],
    args: Sequence[Any],
    same: Callable[[Any], bool],
    kwargs: Mapping[str, Any] | None = None,
) -> None:
    """Fail with the standard "matches a known mistake" message when one reproduces the answer."""
    mistake = first_matching_mistake(mistakes, args, same, kwargs)
    if mistake is not None:
        fail(
            f"{context}: your result matches a known mistake, {mistake.name}.", hint=mistake.advice
        )


# --- answers that are numbers --------------------------------------------------------------------
def as_number(value: Any, context: str, what: str = "the result", hint: str = "") -> float:
    """A finite real number from what the student returned, or a clear failure."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(
            f"{context}: {what} is {describe(value)}; expected a single number (a float).",
            hint="return a plain number, for example `return float(result)`",
        )
    number = float(value)
    if not math.isfinite(number):
        fail(
            f"{context}: {what} is {number}; expected a finite number.",
            hint=hint or "look for a division by zero or an overflow",
        )
    return number


def _shown(values: Sequence[float]) -> str:
    text = ", ".join(f"{v:.10g}" for v in values)
    return text if len(values) == 1 else f"({text})"


def check_numbers(
    fn: Callable[..., Any],
    name: str,
    args: Sequence[Any],
    want: float | Sequence[float],
    *,
    mistakes: Sequence[Mistake] = (),
    what: Sequence[str] = ("the result",),
    hint: str = "",
    rtol: float = 1e-8,
    atol: float = 0.0,
    context: str = "",
) -> list[float]:
    """Grade ``fn(*args)`` when it answers with one number, or a tuple of ``len(what)`` numbers.

    On a wrong answer the message says what came back and what was expected, and names the first
    catalogued mistake that reproduces it. Returns the student's numbers when they are right.
    """
    context = context or f"{name}({', '.join(repr(a) for a in args)})"
    expected = [float(w) for w in (want if isinstance(want, (tuple, list)) else [want])]
    result = call(fn, name, *args)
    if len(what) > 1:
        count = {2: "two", 3: "three"}.get(len(what), str(len(what)))
        if not isinstance(result, (tuple, list)) or len(result) != len(what):
            fail(
                f"{context} returned {describe(result)}; expected a tuple of {count} numbers "
                f"({', '.join(what)}).",
                hint=f"return all {count}, in this order: `return first, second`",
            )
        items = list(result)
    else:
        items = [result]
    got = [as_number(item, context, label) for item, label in zip(items, what, strict=True)]

    def same(values: Any) -> bool:
        values = [float(v) for v in np.ravel(values)]
        return len(values) == len(got) and all(
            close(g, v, rtol, atol) for g, v in zip(got, values, strict=True)
        )

    if same(expected):
        return got
    shown = f"{context} returned {_shown(got)}, expected {_shown(expected)}"
    fail_if_known_mistake(shown, mistakes, args, same)
    wrong = next(
        (
            label
            for g, w, label in zip(got, expected, what, strict=True)
            if not close(g, w, rtol, atol)
        ),
        what[0],
    )
    fail(f"{shown}: {wrong} is wrong." if len(what) > 1 else f"{shown}.", hint=hint)
    return got


# --- inputs left alone ---------------------------------------------------------------------------
def check_inputs_unchanged(
    run: Callable[[Sequence[Any]], Any],
    args: Sequence[Any],
    labels: Sequence[str],
    name: str,
    hint: str = "",
) -> Any:
    """``run(args)`` must leave every array in ``args`` as it was and work when they are read-only.

    ``run`` calls the student's code on the given arguments (and may check its result). Returns
    what ``run`` returned on the read-only copies.
    """
    originals = copy_args(args)
    run(args)
    for label, before, after in zip(labels, originals, args, strict=False):
        if isinstance(before, np.ndarray) and not _array_equal(before, after):
            fail(
                f"`{name}` changed its input `{label}` in place.",
                hint=hint
                or f"compute a new array (for example `new = {label} - ...`) instead of "
                f"`{label} -= ...`, `{label}[...] = ...` or `{label} *= ...`; callers keep "
                "using the arrays they pass in",
            )
    read_only = copy_args(originals)
    for array in read_only:
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    try:
        return run(read_only)
    except AssertionError as error:
        if "read-only" in str(error) or "writeable" in str(error):
            fail(
                f"`{name}` tried to write into one of its input arrays.",
                hint=hint or "return new arrays instead of updating the inputs in place",
            )
        raise
