"""Tamper resistance while grading, on the kernel's side.

nbgrader runs a student's code and the hidden tests in one Python process, so the student's code
can replace what the tests rely on: ``np.allclose``, the ``expect_*`` helpers in the notebook,
``autograder`` functions, or IPython's own machinery. This module undoes such changes where it
can and makes the rest visible:

- ``snapshot()`` runs when the grading kernel starts, before any notebook code
  (``nbgrader_config.py`` passes it to the kernel as an exec line). It records the library
  functions, module objects and interpreter hooks the tests depend on.
- ``guard(...)`` runs first in every graded test cell (``grading.preprocessors`` adds the
  call during autograde). It puts back whatever the notebook replaced and says so in the cell's
  output, so the test measures the student's honest work; when the notebook changed how IPython
  runs cells, the test cannot be trusted and the cell fails with ``TamperingDetected``.
- ``seal(...)`` runs last in every graded test cell. It fails the cell if something was replaced
  while the test ran, and otherwise prints a one-time token that the grader requires: a test
  that was silently skipped scores 0.

This raises the bar; it is not a sandbox. Code that runs in the same process can defeat any
in-process check (for example by reading the token before the test runs). Grade untrusted work
with the recipe in ``docs/sandbox/``.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import importlib.util
import os
import re
import sys
import types
from collections.abc import Iterable, MutableMapping
from typing import Any

# Modules a kernel snapshots in addition to these, comma-separated (set by the grader).
PRELOAD_ENV = "AUTOGRADER_PRELOAD"
SEAL_PREFIX = "[autograder-seal"
# What the grader asks the kernel to evaluate before each graded test cell.
REPAIR_EXPRESSION = "__import__('autograder.integrity', fromlist=['repair']).repair()"

BASE_MODULES = ("builtins", "math", "numpy", "numpy.linalg", "numpy.random", "optimlab.checks")
# Where the autograder code that runs inside a notebook's kernel lives: the references, the
# checking kit and the hidden checks. (Grading infrastructure never runs in a kernel.)
HEAVY_IMPORT = re.compile(r"^\s*(from|import)\s+(torch|nbgrader|nbclient|lion_pytorch)\b", re.M)
KERNEL_SIDE = (
    ((), "autograder."),
    (("kit",), "autograder.kit."),
    (("hidden",), "autograder.hidden."),
)
# Names a test cell may use for a module, and the module they must be.
MODULE_ALIASES = {
    "np": "numpy",
    "numpy": "numpy",
    "math": "math",
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
}
# Helper modules whose public functions a test cell may use by name.
HELPER_MODULES = ("optimlab.checks",)
# Our own packages: their data (catalogues, rules) is checked too, not only their functions.
OWN_PACKAGES = ("autograder", "optimlab")
# IPython attributes that decide how a cell's source becomes code that runs.
PIPELINE_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
MANAGER_LISTS = ("cleanup_transforms", "line_transforms", "token_transformers")
# IPython and ipykernel swap these around every execution (sys.excepthook, sys.displayhook,
# builtins.input, get_ipython, exit, quit), so they are not compared with the snapshot.
SYS_HOOKS = ("stdout", "stderr")
PER_EXECUTION_BUILTINS = {"_", "input", "raw_input", "get_ipython", "exit", "quit"}
# Class attributes Python adds on its own (copy and pickle cache __slotnames__).
LAZY_CLASS_ATTRIBUTES = {"__slotnames__", "_abc_impl"}
# Event callbacks from these packages are legitimate (`%matplotlib inline` registers one).
TRUSTED_CALLBACK_PACKAGES = (
    "IPython",
    "ipykernel",
    "matplotlib",
    "matplotlib_inline",
    "ipywidgets",
)


class TamperingDetected(AssertionError):
    """The notebook changed what the tests rely on in a way that cannot be undone in time."""


_MISSING = object()


def _is_own(module_name: str) -> bool:
    return module_name.split(".")[0] in OWN_PACKAGES


def _kernel_side(module_name: str) -> bool:
    """optimlab, and the autograder's references, kit and hidden checks: not its infrastructure."""
    if not module_name.startswith("autograder."):
        return True
    return any(
        module_name.startswith(prefix) and (package or module_name == f"{prefix}references")
        for package, prefix in KERNEL_SIDE
    )


def _light_autograder_modules() -> list[str]:
    """Kernel-side autograder modules that import neither torch nor nbgrader (cheap at start)."""
    spec = importlib.util.find_spec("autograder")
    if spec is None or not spec.submodule_search_locations:
        return []
    names = []
    for folder in spec.submodule_search_locations:
        for package, prefix in KERNEL_SIDE:
            directory = os.path.join(folder, *package)
            entries = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
            for entry in entries:
                stem, ext = os.path.splitext(entry)
                if ext != ".py" or stem.startswith("_") or (not package and stem != "references"):
                    continue
                try:
                    with open(os.path.join(directory, entry), encoding="utf-8") as handle:
                        text = handle.read()
                except OSError:
                    continue
                if not HEAVY_IMPORT.search(text):
                    names.append(f"{prefix}{stem}")
    return names


def _fingerprint(obj: Any) -> Any:
    if isinstance(obj, types.FunctionType):
        return (obj.__code__, obj.__defaults__, obj.__kwdefaults__)
    return None


def _data_copy(obj: Any) -> Any:
    """A deep copy of a container or dataclass instance, or _MISSING when it is not data."""
    is_data = isinstance(obj, (dict, list, set)) or (
        dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    )
    if not is_data:
        return _MISSING
    try:
        return copy.deepcopy(obj)
    except Exception:  # noqa: BLE001 - data that cannot be copied is simply not checked
        return _MISSING


def _same_data(current: Any, saved: Any) -> bool:
    """Equality that looks inside containers, dataclasses and NumPy arrays."""
    if current is saved:
        return True
    if type(current) is not type(saved):
        return False
    if isinstance(current, dict):
        return current.keys() == saved.keys() and all(
            _same_data(current[k], saved[k]) for k in current
        )
    if isinstance(current, (list, tuple)):
        return len(current) == len(saved) and all(
            _same_data(a, b) for a, b in zip(current, saved, strict=True)
        )
    if dataclasses.is_dataclass(current) and not isinstance(current, type):
        return all(
            _same_data(getattr(current, f.name), getattr(saved, f.name))
            for f in dataclasses.fields(current)
        )
    if type(current).__module__ == "numpy" and hasattr(current, "shape"):
        try:
            return bool(current.shape == saved.shape and (current == saved).all())
        except Exception:  # noqa: BLE001 - arrays that cannot be compared count as changed
            return False
    try:
        return bool(current == saved)
    except Exception:  # noqa: BLE001 - a comparison that fails counts as a change
        return False


def _restore_data(current: Any, saved: Any) -> Any:
    """Put ``saved`` back into ``current`` in place when possible; return the object to bind."""
    fresh = copy.deepcopy(saved)
    if type(current) is type(saved):
        if isinstance(current, (dict, set)):
            current.clear()
            current.update(fresh)
            return current
        if isinstance(current, list):
            current[:] = fresh
            return current
        if dataclasses.is_dataclass(current):
            for f in dataclasses.fields(current):
                object.__setattr__(current, f.name, getattr(fresh, f.name))
            return current
    return fresh


def _library_made(obj: Any, module_name: str) -> bool:
    """Does ``obj`` come from the same package as the module it was found in?"""
    origin = getattr(obj, "__module__", None)
    return (
        isinstance(origin, str)
        and origin != "__main__"
        and origin.split(".")[0] == module_name.split(".")[0]
    )


class _ModuleRecord:
    """What one module looked like at start-up."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.name = module.__name__
        self.own = _is_own(self.name)
        self.values: dict[str, Any] = {}
        self.fingerprints: dict[str, Any] = {}
        self.classes: dict[str, dict[str, Any]] = {}
        self.data: dict[str, Any] = {}
        for key, value in list(vars(module).items()):
            if self.name == "builtins":
                if key in PER_EXECUTION_BUILTINS or not callable(value):
                    continue
            elif key == "__builtins__" or key.startswith("__") and key.endswith("__"):
                continue
            self.values[key] = value
            fingerprint = _fingerprint(value)
            if fingerprint is not None:
                self.fingerprints[key] = fingerprint
            if self.own and isinstance(value, type) and value.__module__ == self.name:
                self.classes[key] = dict(vars(value))
            if self.own:
                saved = _data_copy(value)
                if saved is not _MISSING:
                    self.data[key] = saved

    def repair(self) -> list[str]:
        """Undo changes to this module; return what was changed."""
        changed = []
        namespace = vars(self.module)
        for key, value in self.values.items():
            label = f"{self.name}.{key}"
            current = namespace.get(key, _MISSING)
            if key in self.data:
                if current is _MISSING or not _same_data(current, self.data[key]):
                    namespace[key] = _restore_data(current, self.data[key])
                    changed.append(label)
                continue
            if current is not value and not self.own and _library_made(current, self.name):
                # The library replaced its own function (torch wraps torch.manual_seed when
                # torch._dynamo loads, for example): that is the new original.
                self.values[key] = value = current
                fingerprint = _fingerprint(current)
                if fingerprint is not None:
                    self.fingerprints[key] = fingerprint
                else:
                    self.fingerprints.pop(key, None)
            if current is not value:
                namespace[key] = value
                changed.append(label)
            if key in self.fingerprints and _fingerprint(value) != self.fingerprints[key]:
                value.__code__, value.__defaults__, value.__kwdefaults__ = self.fingerprints[key]
                changed.append(f"{value.__module__}.{value.__qualname__} (its code)")
            if key in self.classes:
                changed += self._repair_class(label, value, self.classes[key])
        return changed

    @staticmethod
    def _repair_class(label: str, cls: type, saved: dict[str, Any]) -> list[str]:
        changed = []
        for attr, value in saved.items():
            if attr in ("__dict__", "__weakref__", "__doc__"):
                continue
            if vars(cls).get(attr, _MISSING) is not value:
                try:
                    setattr(cls, attr, value)
                    changed.append(f"{label}.{attr}")
                except (AttributeError, TypeError):
                    pass
        for attr in set(vars(cls)) - set(saved) - LAZY_CLASS_ATTRIBUTES:
            try:
                delattr(cls, attr)
                changed.append(f"{label}.{attr}")
            except (AttributeError, TypeError):
                pass
        return changed


class _Snapshot:
    """The state the tests rely on, recorded before any notebook code ran."""

    def __init__(self, module_names: Iterable[str]) -> None:
        self.modules: dict[str, _ModuleRecord] = {}
        for name in module_names:
            try:
                module = importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - a module that is not installed is not checked
                continue
            self.modules[name] = _ModuleRecord(module)
        for name, module in list(sys.modules.items()):
            if _is_own(name) and name not in self.modules and isinstance(module, types.ModuleType):
                if _kernel_side(name):
                    self.modules[name] = _ModuleRecord(module)
        self.sys_hooks = {name: getattr(sys, name) for name in SYS_HOOKS}
        self.meta_path = list(sys.meta_path)
        self.path_hooks = list(sys.path_hooks)
        self.trace = sys.gettrace()
        self.profile = sys.getprofile()
        self.shell = _shell()
        self.pipeline: dict[str, list[Any]] = {}
        self.manager = None
        self.events: dict[str, list[Any]] = {}
        self.shell_methods: dict[str, Any] = {}
        self.shell_classes: dict[type, dict[str, Any]] = {}
        self.custom_exceptions: tuple[Any, ...] = ()
        if self.shell is not None:
            self._record_shell(self.shell)

    def _record_shell(self, shell: Any) -> None:
        for name in PIPELINE_LISTS:
            self.pipeline[name] = list(getattr(shell, name, []))
        self.manager = getattr(shell, "input_transformer_manager", None)
        if self.manager is not None:
            for name in MANAGER_LISTS:
                self.pipeline[f"input_transformer_manager.{name}"] = list(
                    getattr(self.manager, name, [])
                )
        events = getattr(shell, "events", None)
        if events is not None:
            self.events = {k: list(v) for k, v in events.callbacks.items()}
        self.shell_methods = {k: v for k, v in vars(shell).items() if callable(v)}
        self.custom_exceptions = tuple(shell.custom_exceptions)
        for cls in type(shell).__mro__:
            if cls.__module__.split(".")[0] in ("IPython", "ipykernel"):
                self.shell_classes[cls] = {
                    k: v for k, v in vars(cls).items() if isinstance(v, types.FunctionType)
                }

    # -- the IPython execution pipeline: changes here mean the current cell cannot be trusted --
    def repair_pipeline(self) -> list[str]:
        shell = self.shell
        if shell is None:
            return []
        changed = []
        for key, saved in self.pipeline.items():
            owner = shell
            name = key
            if key.startswith("input_transformer_manager."):
                owner, name = self.manager, key.split(".", 1)[1]
            current = getattr(owner, name, None)
            if not isinstance(current, list) or current != saved:
                if isinstance(current, list):
                    current[:] = saved
                else:
                    setattr(owner, name, list(saved))
                changed.append(f"IPython's {name}")
        if self.manager is not None and shell.input_transformer_manager is not self.manager:
            shell.input_transformer_manager = self.manager
            changed.append("IPython's input_transformer_manager")
        events = getattr(shell, "events", None)
        if events is not None:
            for event, callbacks in events.callbacks.items():
                known = self.events.get(event, [])
                foreign = [cb for cb in callbacks if cb not in known and not _trusted(cb)]
                if foreign:
                    callbacks[:] = [cb for cb in callbacks if cb not in foreign]
                    changed.append(f"IPython's {event} event callbacks")
        for key, value in list(vars(shell).items()):
            if callable(value) and key not in self.shell_methods and hasattr(type(shell), key):
                delattr(shell, key)
                changed.append(f"the IPython shell's {key}")
        for key, value in self.shell_methods.items():
            if vars(shell).get(key, _MISSING) is not value:
                setattr(shell, key, value)
                changed.append(f"the IPython shell's {key}")
        for cls, saved in self.shell_classes.items():
            for key, value in saved.items():
                if vars(cls).get(key, _MISSING) is not value:
                    setattr(cls, key, value)
                    changed.append(f"{cls.__name__}.{key}")
        return changed

    # -- everything else: put it back and let the test run honestly --
    def repair_state(self) -> list[str]:
        changed = []
        for name, record in self.modules.items():
            if sys.modules.get(name) is not record.module:
                sys.modules[name] = record.module
                changed.append(f"sys.modules[{name!r}]")
            changed += record.repair()
        for name, value in self.sys_hooks.items():
            if getattr(sys, name) is not value:
                setattr(sys, name, value)
                changed.append(f"sys.{name}")
        if sys.meta_path != self.meta_path:
            sys.meta_path[:] = self.meta_path
            changed.append("sys.meta_path (import hooks)")
        if sys.path_hooks != self.path_hooks:
            sys.path_hooks[:] = self.path_hooks
            changed.append("sys.path_hooks (import hooks)")
        if sys.gettrace() is not self.trace:
            sys.settrace(self.trace)
            changed.append("sys.settrace (a trace function)")
        if sys.getprofile() is not self.profile:
            sys.setprofile(self.profile)
            changed.append("sys.setprofile (a profile function)")
        shell = self.shell
        if shell is not None and tuple(shell.custom_exceptions) != self.custom_exceptions:
            shell.set_custom_exc((), None)
            changed.append("IPython's custom exception handler")
        return changed

    def canonical(self, name: str) -> Any:
        """What a name a test cell uses must be bound to, or _MISSING when it is the student's."""
        module_name = MODULE_ALIASES.get(name)
        if module_name in self.modules:
            return self.modules[module_name].module
        for helper in HELPER_MODULES:
            record = self.modules.get(helper)
            if record is not None and not name.startswith("_") and name in record.values:
                value = record.values[name]
                if isinstance(value, types.FunctionType) and value.__module__ == helper:
                    return value
        return _MISSING

    def repair_namespace(self, namespace: MutableMapping[str, Any], names: Iterable[str]) -> list:
        changed = []
        for name in names:
            want = self.canonical(name)
            if want is _MISSING:
                continue
            if name in namespace and namespace[name] is not want:
                namespace[name] = want
                changed.append(f"{name} (in the notebook)")
        return changed

    def stdout_write(self, text: str) -> None:
        out = self.sys_hooks["stdout"]
        out.write(text)
        out.flush()


_STATE: _Snapshot | None = None


def _trusted(callback: Any) -> bool:
    function = getattr(callback, "__func__", callback)
    module = getattr(function, "__module__", None) or ""
    return module.split(".")[0] in TRUSTED_CALLBACK_PACKAGES


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def snapshot(extra: Iterable[str] = ()) -> None:
    """Record the state the tests rely on. Runs once, when the grading kernel starts."""
    global _STATE
    if _STATE is not None:
        return
    preload = [m.strip() for m in os.environ.get(PRELOAD_ENV, "").split(",") if m.strip()]
    names = [*BASE_MODULES, *_light_autograder_modules(), *preload, *extra]
    _STATE = _Snapshot(dict.fromkeys(names))
    install_cwd_last()


def _listing(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    shown = ", ".join(unique[:12])
    return shown + (f" and {len(unique) - 12} more" if len(unique) > 12 else "")


_PENDING: list[str] = []


def repair() -> str:
    """Put back the execution pipeline and everything else, before a test cell is even sent.

    The grader calls this through an execute request's ``user_expressions``, which IPython
    evaluates without passing them through input transformers, so a notebook that hijacked
    how cells run cannot stop it; the next ``guard`` reports what it found.
    """
    state = _STATE
    if state is None:
        return "no snapshot"
    found = state.repair_pipeline() + state.repair_state()
    _PENDING.extend(found)
    return ", ".join(found) or "clean"


def guard(namespace: MutableMapping[str, Any], names: Iterable[str] = (), cell: str = "") -> None:
    """First line of a graded test cell: undo tampering, or refuse to run the test."""
    state = _STATE
    if state is None:
        raise TamperingDetected(
            "The grading kernel started without the autograder's integrity snapshot, so this "
            "test cannot be trusted (is the course's nbgrader_config.py in use?)."
        )
    pipeline = state.repair_pipeline()
    restored = list(_PENDING) + state.repair_state() + state.repair_namespace(namespace, names)
    _PENDING.clear()
    frame = sys._getframe(1)
    if frame.f_trace is not None:
        frame.f_trace = None
        restored.append("a trace function on this cell")
    if pipeline:
        raise TamperingDetected(
            f"Your notebook changed how IPython runs cells ({_listing(pipeline)}), so this test "
            "did not run as written and scores 0. The autograder has put things back for the "
            "cells that follow; remove that code from your notebook."
        )
    if restored:
        state.stdout_write(
            f"[autograder] Your notebook replaced things the tests rely on: {_listing(restored)}. "
            "The originals were put back before this test ran.\n"
        )


def seal(cell: str, token: str) -> None:
    """Last line of a graded test cell: check nothing changed during the test, then prove the
    test ran to its end by printing the token the grader expects."""
    state = _STATE
    if state is None:
        raise TamperingDetected("The grading kernel has no integrity snapshot.")
    changed = state.repair_pipeline() + state.repair_state()
    if changed:
        raise TamperingDetected(
            f"Something replaced {_listing(changed)} while this test ran, so its result cannot be "
            "trusted and it scores 0. The originals have been put back."
        )
    state.stdout_write(f"{SEAL_PREFIX} {cell} {token}]\n")


def install_cwd_last() -> None:
    """The notebook's folder last on sys.path (the kernel starts with PYTHONSAFEPATH): a module
    beside the notebook imports, but a ``numpy.py`` there never shadows the real package."""
    here = os.getcwd()
    if here not in sys.path:
        sys.path.append(here)


__all__ = ["TamperingDetected", "guard", "repair", "seal", "snapshot"]
