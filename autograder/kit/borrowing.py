"""Borrowing watch: while a hidden check runs a student's code, that code may not call the course's
references, mistake catalogue or hidden checks (nor, for notebook 09, the library optimizer it is
compared with). Tensor and NumPy operations and the student's own helpers stay allowed.

How: the interpreter reports every Python call in the student's thread to an audit hook. The
profile function is ``MethodType(sys.audit, EVENT)``, a read-only builtin object, so student code
cannot rewrite it, and audit hooks cannot be removed. Replacing the profile function
(``sys.setprofile``/``settrace``), searching the heap (``gc.get_objects`` and friends) or starting
threads and processes during the call are reported too. Code the grader hands to the student (a
gradient function, a test-double model, the reference stand-in for an earlier exercise) is
allowed, and so is everything it calls.

This raises the bar; it is not a sandbox (see docs/sandbox/).
"""

from __future__ import annotations

import _thread
import contextlib
import inspect
import os
import sys
import types
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

EVENT = "autograder.student_call"
_PROFILE = types.MethodType(sys.audit, EVENT)  # immutable: __func__ and __self__ are read-only
AUTOGRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# Audit events that mean the student's code is working around the watch.
EVASIONS = {
    "sys.setprofile": "replaced the interpreter's profile hook",
    "sys.settrace": "replaced the interpreter's trace hook",
    "gc.get_objects": "searched the interpreter's memory (gc.get_objects)",
    "gc.get_referrers": "searched the interpreter's memory (gc.get_referrers)",
    "gc.get_referents": "searched the interpreter's memory (gc.get_referents)",
    "os.fork": "started another process",
    "subprocess.Popen": "started another process",
    "os.posix_spawn": "started another process",
}
THREAD_STARTS = {"start_new_thread", "start_joinable_thread", "start_new"}
# The course's own test suite grades answers written in its files (the references, the library
# optimizers, wrappers around them) to check the checks; answers compiled from text (notebook
# cells, the mutation corpus) are always watched. Decided once, when the kit is imported: in a
# grading kernel that is at start-up, before any student code runs (autograder.integrity).
TRUST_ANSWERS_FROM_FILES = "pytest" in sys.modules


@dataclass
class _Watch:
    """One student call being watched."""

    name: str
    thread: int
    boundary: types.FrameType | None
    forbidden: tuple[tuple[str, str], ...]  # (directory prefix, what it is)
    allowed_files: tuple[str, ...]
    allowed: set[types.CodeType] = field(default_factory=set)
    found: list[str] = field(default_factory=list)
    verdicts: dict[types.CodeType, str] = field(default_factory=dict)


_ACTIVE: list[_Watch] = []
_STAND_INS: list[set[types.CodeType]] = []  # registered by kit.core.substituted
_HOOK_INSTALLED: list[bool] = []


def _library_dir(package: str) -> str:
    """The folder of an importable package (``torch.optim``), or "" when it is not installed."""
    try:
        module = __import__(package, fromlist=["_"])
    except ImportError:
        return ""
    return os.path.dirname(os.path.abspath(module.__file__ or "")) + os.sep


def _codes_of(value: Any, depth: int = 0) -> Iterator[types.CodeType]:
    """Code objects the grader hands over: functions, bound methods, the methods of the classes
    of objects it passes in (a test-double model) and the functions they hold (a landscape's
    gradient), looking two levels into containers and objects."""
    if isinstance(value, types.FunctionType):
        yield value.__code__
        for cell in value.__closure__ or ():
            with contextlib.suppress(ValueError):
                yield from _codes_of(cell.cell_contents, depth + 1) if depth < 2 else ()
        return
    if isinstance(value, types.MethodType):
        yield from _codes_of(value.__func__, depth)
        return
    if depth >= 2 or isinstance(value, (type, types.ModuleType, str, bytes, int, float)):
        return
    if isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _codes_of(item, depth + 1)
        return
    for cls in type(value).__mro__:
        if getattr(cls, "__module__", "").startswith("autograder"):
            for attribute in vars(cls).values():
                if isinstance(attribute, (types.FunctionType, staticmethod, classmethod)):
                    yield from _codes_of(getattr(attribute, "__func__", attribute), depth + 1)
    for attribute in getattr(value, "__dict__", {}).values():
        if callable(attribute) or isinstance(attribute, (list, tuple, dict)):
            yield from _codes_of(attribute, depth + 1)


def _from_a_file(answer: Any) -> bool:
    """Was this answer written in an imported module's source file (not in a notebook cell, a
    string, or a function whose code object was swapped for another's)?"""
    target = getattr(answer, "__func__", answer)
    if not isinstance(target, type):
        target = inspect.unwrap(target)
    module = sys.modules.get(getattr(target, "__module__", None) or "")
    path = getattr(module, "__file__", None)
    if not path:
        return False
    code = getattr(target, "__code__", None)
    return code is None or os.path.abspath(code.co_filename) == os.path.abspath(path)


def _forbidden(watch: _Watch, code: types.CodeType) -> str:
    """What forbidden code this is ("" when allowed), remembered per code object."""
    verdict = watch.verdicts.get(code)
    if verdict is None:
        filename = code.co_filename
        verdict = ""
        if not filename.startswith(watch.allowed_files):
            verdict = next((w for p, w in watch.forbidden if p and filename.startswith(p)), "")
        watch.verdicts[code] = verdict
    return verdict


def _handed_over(watch: _Watch, frame: types.FrameType | None) -> bool:
    """Is this call made (directly or not) by code the grader handed to the student?"""
    stand_ins = set().union(*_STAND_INS) if _STAND_INS else set()
    while frame is not None and frame is not watch.boundary:
        if frame.f_code in watch.allowed or frame.f_code in stand_ins:
            return True
        frame = frame.f_back
    return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _ACTIVE:
        return
    watch = _ACTIVE[-1]
    if _thread.get_ident() != watch.thread:
        return
    if event == EVENT:
        frame, kind, arg = args
        if kind == "call":
            what = _forbidden(watch, frame.f_code)
            if what and not _handed_over(watch, frame):
                location = os.path.basename(frame.f_code.co_filename)
                watch.found.append(f"called {what} ({frame.f_code.co_name} in {location})")
        elif kind == "c_call" and getattr(arg, "__name__", "") in THREAD_STARTS:
            watch.found.append("started a thread")
    elif event in EVASIONS:
        watch.found.append(EVASIONS[event])


def _install() -> None:
    """Add the audit hook once per process (audit hooks cannot be removed)."""
    if not _HOOK_INSTALLED:
        sys.addaudithook(_hook)
        _HOOK_INSTALLED.append(True)


# At import, so that the hook is in place before any student code runs (the grading kernel
# imports the kit at start-up) and the integrity guard sees no module data change afterwards.
_install()


@contextlib.contextmanager
def watching(
    name: str,
    answer: Any,
    handed_over: Sequence[Any] = (),
    libraries: Iterable[str] = (),
    allowed_library_files: Iterable[str] = (),
) -> Iterator[list[str]]:
    """Watch the student's ``answer`` while the block runs; yields the list of what it borrowed.

    ``libraries`` are packages the student may not call into (``"torch.optim"``), except their
    ``allowed_library_files`` (``"torch/optim/optimizer.py"``, the base class).
    """
    forbidden = [(AUTOGRADER_DIR, "the course's reference implementation or hidden checks")]
    forbidden += [(_library_dir(p), f"{p}'s implementation") for p in libraries]
    allowed_files = tuple(
        os.path.join(os.path.dirname(_library_dir(f.split("/")[0]).rstrip(os.sep)), f)
        for f in allowed_library_files
    )
    watch = _Watch(name, _thread.get_ident(), sys._getframe(2), tuple(forbidden), allowed_files)
    watch.allowed = set(_codes_of(list(handed_over)))
    if TRUST_ANSWERS_FROM_FILES and _from_a_file(answer):
        yield watch.found
        return
    previous = sys.getprofile()
    sys.setprofile(_PROFILE)
    _ACTIVE.append(watch)
    try:
        yield watch.found
    finally:
        _ACTIVE.remove(watch)
        sys.setprofile(previous)


@contextlib.contextmanager
def stand_ins_allowed(stand_ins: Iterable[Any]) -> Iterator[None]:
    """While the block runs, the student's code may call these (and what they call)."""
    codes = set(_codes_of(list(stand_ins)))
    _STAND_INS.append(codes)
    try:
        yield
    finally:
        _STAND_INS.remove(codes)


def borrowing_message(name: str, found: Sequence[str]) -> str:
    """What the student reads when their code borrowed: the first thing it did, and the rule."""
    return (
        f"your {name} {found[0]}: write the update yourself. While it is graded, an answer may "
        "use NumPy, math, tensor operations and your own helpers, but not the course's "
        "reference, the library it is compared with, or tricks that hide such calls."
    )
