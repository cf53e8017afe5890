"""nbgrader preprocessors that keep autograding fair whatever a student submits.

``nbgrader_config.py`` puts them into stock nbgrader's autograde pipeline:

- ``NormalizeCells`` (sanitizing, before ``OverwriteCells``): every cell the instructor released
  gets back its released grading metadata; a cell that claims an id the gradebook does not know
  becomes an ordinary cell; a duplicated id keeps its last cell (stock nbgrader empties the
  other copies' metadata, which then fails validation as an "old metadata format" and stops the
  whole autograde run); a deleted test or answer cell is put back where it was released.
- ``GuardTestCells`` (before execution): wraps each graded test cell in the integrity guard and
  seal of ``autograder.integrity``, and tells the kernel which modules to snapshot.
- ``ResilientExecute``: nbgrader's ``Execute``, except that a kernel that dies, or that cannot
  be interrupted after a cell's time limit, costs the remaining cells their points instead of
  failing the whole submission; a function of the student's that was still running when a cell
  hit its time limit is named in the feedback and later calls to it get a short limit of their
  own (a test cell's inputs are small); and each cell's time limit can come from the reference
  solution's own time (``AUTOGRADE_CELL_BUDGETS``, written by ``python -m grading.batch``).
- ``CheckSeals`` (after execution): a graded test cell that neither raised nor printed its seal
  did not run to its end (something hijacked execution) and gets an error, so it scores 0; the
  guard lines are removed again, and runaway output is cut short.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import secrets
import time
from typing import Any

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer

from autograder.integrity import PRELOAD_ENV, REPAIR_EXPRESSION, SEAL_PREFIX

RESOURCE_KEY = "autograder_integrity"
GUARD = '__import__("autograder.integrity", fromlist=["guard"]).guard(globals(), {names}, {cell!r})'
SEAL = '__import__("autograder.integrity", fromlist=["seal"]).seal({cell!r}, {token!r})'
SIMPLE_STATEMENTS = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Import,
    ast.ImportFrom,
    ast.Pass,
    ast.Delete,
    ast.Assert,
)
HIDDEN_PART = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*### END HIDDEN TESTS", re.M | re.S
)
KNOWN_MISTAKE = "known mistake"
# A JSON file {cell key: seconds}: each cell's time limit, from the reference solution's run.
BUDGETS_ENV = "AUTOGRADE_CELL_BUDGETS"
DID_NOT_RETURN = "DidNotReturn"
# Runs in the kernel after a cell was interrupted at its time limit: finds the innermost function
# (or method) of the notebook's own that was still running and, when the cell was a graded test
# (``replace``), replaces it by a stand-in that gives each later call ``call_limit`` seconds
# (SIGALRM), so later cells that call it do not wait for their whole time limit again, while
# calls that do return (other inputs) still count. A test's inputs are small; an experiment cell
# may have asked for far more work, so a function stopped there is only named.
# Evaluated as a user expression (IPython runs those without the notebook's input transformers).
BLAME_CODE = """
import functools, signal, sys
exc, tb = getattr(sys, "last_value", None), getattr(sys, "last_traceback", None)
result = ""
if isinstance(exc, KeyboardInterrupt) and tb is not None:
    sys.last_type = sys.last_value = sys.last_traceback = None
    found = None
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
        code = frame.f_code
        if frame.f_globals is not user_ns:
            continue
        if getattr(user_ns.get(code.co_name), "__code__", None) is code:
            found = (user_ns, code.co_name, user_ns[code.co_name], code.co_name)
            continue
        owner = frame.f_locals.get("self", frame.f_locals.get("cls"))
        cls = owner if isinstance(owner, type) else type(owner)
        for klass in getattr(cls, "__mro__", ())[:-1]:
            method = klass.__dict__.get(code.co_name)
            if getattr(method, "__code__", None) is code:
                found = (klass, code.co_name, method, klass.__name__ + "." + code.co_name)
                break
    if found is not None and not replace:
        result = found[3]
    elif found is not None and hasattr(signal, "setitimer"):
        holder, name, function, label = found
        DidNotReturn = type("DidNotReturn", (TimeoutError,), {"__module__": "autograder"})
        message = (
            label + "() did not return within %g s. It already ran past the time limit of "
            % call_limit + where + ", so each later call gets %g s only. Look for a loop "
            "that never ends, or work that grows far too fast." % call_limit
        )
        state = {"active": False}

        def alarm(signum, frame):
            raise DidNotReturn(message)

        @functools.wraps(function)
        def did_not_return(*args, **kwargs):
            if state["active"]:  # a recursive call: the outer call's alarm is running
                return function(*args, **kwargs)
            previous = signal.signal(signal.SIGALRM, alarm)
            state["active"] = True
            signal.setitimer(signal.ITIMER_REAL, call_limit)
            try:
                return function(*args, **kwargs)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                state["active"] = False

        did_not_return.did_not_return = label
        if isinstance(holder, dict):
            holder[name] = did_not_return
        else:
            setattr(holder, name, did_not_return)
        result = label
"""
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename=ename,
        evalue=evalue,
        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


def is_graded_test(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


# --- sanitizing --------------------------------------------------------------------------------
class NormalizeCells(NbGraderPreprocessor):
    """Give every released cell its released grading metadata, exactly once."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source_nb = gradebook.find_notebook(info["notebook"], info["assignment"])
            released = [
                {
                    "name": cell.name,
                    "cell_type": cell.cell_type,
                    "locked": bool(cell.locked),
                    "source": cell.source,
                    "checksum": cell.checksum,
                }
                for cell in source_nb.source_cells
            ]
            points = {cell.name: float(cell.max_score) for cell in source_nb.grade_cells}
            solutions = {cell.name for cell in source_nb.solution_cells}
            tasks = {cell.name for cell in source_nb.task_cells}
        known = {cell["name"]: cell for cell in released}
        report: list[str] = []

        # 1. ids the gradebook does not know, and duplicated ids (the last copy is kept)
        last_index: dict[str, int] = {}
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id not in known:
                del cell.metadata["nbgrader"]
                if grade_id is not None:
                    report.append(f"cell {index} claims the unknown id {grade_id!r}: not graded")
                continue
            last_index[grade_id] = index
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            if last_index[meta["grade_id"]] != index:
                report.append(f"cell {index} duplicates {meta['grade_id']!r}: not graded")
                del cell.metadata["nbgrader"]

        # 2. the released flags and points on every known cell; edits to locked cells noted
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            name = meta["grade_id"]
            if known[name]["locked"] and not _same_code(cell.source, known[name]["source"]):
                kind = "test cell" if name in points else "locked cell"
                report.append(f"{kind} {name!r} was edited: the released version is used")
            wanted = {
                "grade": name in points,
                "grade_id": name,
                "locked": known[name]["locked"],
                "schema_version": 3,
                "solution": name in solutions,
                "task": name in tasks,
            }
            if name in points:
                wanted["points"] = points[name]
            changed = [k for k, v in wanted.items() if meta.get(k) != v and k != "schema_version"]
            if changed:
                report.append(f"cell {name!r} had its {', '.join(changed)} changed: restored")
            if name not in points:
                meta.pop("points", None)
            meta.update(wanted)

        # 3. released cells that are missing, put back after the nearest released cell before them
        present = {
            cell.metadata["nbgrader"]["grade_id"]
            for cell in nb.cells
            if "nbgrader" in cell.get("metadata", {})
        }
        for position, item in enumerate(released):
            name = item["name"]
            if name in present or not (name in points or name in solutions or item["locked"]):
                continue
            insert_at = 0
            for earlier in reversed(released[:position]):
                index = self._index_of(nb, earlier["name"])
                if index is not None:
                    insert_at = index + 1
                    break
            nb.cells.insert(insert_at, self._released_cell(item, name, points, solutions, tasks))
            present.add(name)
            report.append(f"cell {name!r} was missing: the released version was put back")

        for line in report:
            self.log.warning("Submission %s: %s", info.get("student", "?"), line)
        resources.setdefault(RESOURCE_KEY, {})["repairs"] = report
        return nb, resources

    @staticmethod
    def _index_of(nb: NotebookNode, name: str) -> int | None:
        for index, cell in enumerate(nb.cells):
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name:
                return index
        return None

    @staticmethod
    def _released_cell(
        item: dict, name: str, points: dict, solutions: set, tasks: set
    ) -> NotebookNode:
        meta: dict[str, Any] = {
            "grade": name in points,
            "grade_id": name,
            "locked": item["locked"],
            "schema_version": 3,
            "solution": name in solutions,
            "task": name in tasks,
            "checksum": item["checksum"],
        }
        if name in points:
            meta["points"] = points[name]
        note = f"This cell ({name}) was missing from the submission; the autograder put it back."
        cell = NotebookNode(
            cell_type=item["cell_type"],
            metadata=NotebookNode(nbgrader=NotebookNode(meta)),
            source=item["source"],
        )
        if item["cell_type"] == "code":
            cell.outputs = []
            cell.execution_count = None
            if not item["locked"]:
                cell.source = f"# {note}\n{item['source']}"
        return cell


def _same_code(submitted: str, released: str) -> bool:
    """Is a locked cell as released (with or without its hidden tests)?"""

    def normal(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    visible = re.sub(
        r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?",
        "",
        released,
        flags=re.M | re.S,
    )
    return normal(submitted) in (normal(released), normal(visible))


# --- guard and seal ----------------------------------------------------------------------------
class GuardTestCells(NbGraderPreprocessor):
    """Wrap each graded test cell in the integrity guard (first) and seal (last)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        token = secrets.token_hex(8)
        originals: dict[int, str] = {}
        preload: set[str] = set()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if re.search(r"^\s*(import torch|from torch)", cell.source, re.MULTILINE):
                preload.add("torch")
            if not is_graded_test(cell) or cell.source.lstrip().startswith("%%"):
                continue
            preload.update(re.findall(r"^\s*from\s+(autograder\.\w+)\s+import", cell.source, re.M))
            grade_id = cell.metadata.nbgrader["grade_id"]
            originals[index] = cell.source
            cell.source = guarded_source(cell.source, grade_id, token)
        os.environ[PRELOAD_ENV] = ",".join(sorted(preload))
        resources.setdefault(RESOURCE_KEY, {}).update(token=token, originals=originals)
        return nb, resources


def guarded_source(source: str, grade_id: str, token: str) -> str:
    """The cell's source with the guard in front and the seal at the end.

    The guard shares the first line when the cell starts with a simple statement (every test
    cell of the course starts with its docstring), so tracebacks keep their line numbers.
    """
    try:
        tree = ast.parse(source)
        names = tuple(
            sorted(
                {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
                | {
                    n.value.id
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                }
            )
        )
    except SyntaxError:
        names = tuple(sorted(set(IDENTIFIER.findall(source))))
    guard = GUARD.format(names=repr(names), cell=grade_id)
    seal = SEAL.format(cell=grade_id, token=token)
    try:
        body = ast.parse(source).body
    except SyntaxError:
        body = []
    first_line_simple = (
        bool(body) and body[0].lineno == 1 and isinstance(body[0], SIMPLE_STATEMENTS)
    )
    head = f"{guard}; {source}" if first_line_simple else f"{guard}\n{source}"
    return f"{head.rstrip()}\n{seal}\n"


# --- execution ---------------------------------------------------------------------------------
class ResilientExecute(Execute):
    """nbgrader's Execute; a dead or unstoppable kernel costs the remaining cells, not the run.

    It also runs the hidden part of a test cell whose visible part failed, to add the name of
    a known mistake to the feedback (the score is already 0 and does not change).
    """

    diagnose = Bool(True, help="Run a failed test cell's hidden part to name the mistake.").tag(
        config=True
    )

    probe_timeout = Integer(
        15, help="Seconds a kernel may take to answer after a cell hit its time limit."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        self._stopped: str | None = None
        self._budgets = load_budgets()
        return super().preprocess(nb, resources, km)

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        """The configured limit, or the cell's budget from the reference run when it is lower."""
        limit = super()._get_timeout(cell)
        budgets = getattr(self, "_budgets", {})
        budget = budgets.get(cell_key(cell), budgets.get("*")) if cell is not None else None
        if budget is None:
            return limit
        budget = max(1, math.ceil(budget))
        return budget if limit is None else min(limit, budget)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._stopped is not None:
            cell.outputs = [_error("NotRun", f"This cell was not run: {self._stopped}.")]
            return cell, self.resources
        guarded = is_graded_test(cell) and index in self.resources.get(RESOURCE_KEY, {}).get(
            "originals", {}
        )
        if guarded:
            self._repair()
        try:
            result = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # The kernel ignored the interrupt and never reported back (no IOPub output).
            cell.outputs.append(
                _error("CellTimeoutError", "This cell ran past its time limit and was stopped.")
            )
            result = cell, self.resources
        except DeadKernelError:
            self._stopped = f"the kernel died in cell {index}"
            cell.outputs.append(
                _error(
                    "DeadKernelError",
                    "The kernel died while running this cell (the code exited Python, crashed, "
                    "or ran out of memory). The cells after it were not run and score 0.",
                )
            )
            return cell, self.resources
        if is_graded_test(cell) and self.diagnose:
            self._diagnose(cell, index)
        if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
            if self._responds():
                self._blame(cell, index)
            else:
                self._stopped = f"cell {index} could not be stopped after its time limit"
                cell.outputs.append(
                    _error(
                        "UnresponsiveKernelError",
                        "This cell ran past its time limit and ignored the interrupt; the kernel "
                        "was shut down. The cells after it were not run and score 0.",
                    )
                )
                try:
                    run_sync(self.km.shutdown_kernel)(now=True)
                except Exception:  # noqa: BLE001 - a kernel that is already gone is fine
                    self.log.warning("Could not shut down the unresponsive kernel")
        return result

    def _blame(self, cell: NotebookNode, index: int) -> None:
        """Name the notebook's function that was still running when the cell was stopped, and
        make later calls to it fail at once (see BLAME_CODE)."""
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        where = f"cell {index}" + (f" ({grade_id})" if grade_id else "")
        limit = self._get_timeout(cell)
        call_limit = max(1.0, (limit or 15) / 3)
        expression = (
            f"(lambda scope: __import__('builtins').exec({BLAME_CODE!r}, scope) or "
            f"scope['result'])({{'user_ns': globals(), 'where': {where!r}, "
            f"'replace': {is_graded_test(cell)!r}, 'call_limit': {call_limit!r}}})"
        )
        try:
            msg_id = self.kc.execute(
                "", silent=True, store_history=False, user_expressions={"blame": expression}
            )
            reply = self._wait_for(msg_id, self.probe_timeout)
            found = reply["content"]["user_expressions"]["blame"]
            label = ast.literal_eval(found["data"]["text/plain"]) if found["status"] == "ok" else ""
        except Exception:  # noqa: BLE001 - without a name the timeout message still stands
            self.log.warning("Could not ask the kernel which function did not return")
            return
        if label:
            later = (
                f" Later calls to it get {call_limit:g} s each, not a cell's whole time limit."
                if is_graded_test(cell)
                else ""
            )
            cell.outputs.append(
                _error(
                    DID_NOT_RETURN,
                    f"{label}() did not return within this cell's time limit ({limit} s) and "
                    f"was stopped.{later}",
                )
            )

    def _diagnose(self, cell: NotebookNode, index: int) -> None:
        """A test cell whose visible part failed never reached its hidden part, which is what
        recognises known mistakes: run the hidden part alone and add what it recognised."""
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors or any(KNOWN_MISTAKE in str(o.get("evalue", "")) for o in errors):
            return
        if any(o.get("ename") in ("CellTimeoutError", "TamperingDetected") for o in errors):
            return
        hidden = HIDDEN_PART.search(cell.source)
        if hidden is None:
            return
        probe = NotebookNode(
            cell_type="code",
            source=hidden.group(1),
            metadata=NotebookNode(nbgrader=NotebookNode(dict(cell.metadata.nbgrader))),
            outputs=[],
            execution_count=None,
            id=cell.get("id", f"probe-{index}"),
        )
        try:
            self.execute_cell(probe, index, store_history=False)
        except Exception:  # noqa: BLE001 - a diagnosis that cannot run adds nothing
            return
        finally:
            self.nb.cells[index] = cell
        for output in probe.outputs:
            text = str(output.get("evalue", "")) if output.output_type == "error" else ""
            if KNOWN_MISTAKE in text:
                cell.outputs.append(
                    NotebookNode(
                        output_type="stream",
                        name="stdout",
                        text=f"\nThe hidden tests recognise this answer: {text}\n",
                    )
                )
                return

    def _repair(self) -> None:
        """Ask the kernel to undo tampering through user_expressions, which IPython evaluates
        without its input transformers, before the test cell itself is sent."""
        try:
            msg_id = self.kc.execute(
                "",
                silent=True,
                store_history=False,
                user_expressions={"repair": REPAIR_EXPRESSION},
            )
            self._wait_for(msg_id, self.probe_timeout)
        except Exception:  # noqa: BLE001 - the guard in the cell still runs
            self.log.warning("Could not send the integrity repair request")

    def _wait_for(self, msg_id: str, seconds: float) -> dict | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                reply = run_sync(self.kc.get_shell_msg)(timeout=1)
            except Exception:  # noqa: BLE001, S112 - queue.Empty: keep waiting
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply
        return None

    def _responds(self) -> bool:
        """Does the kernel answer a kernel_info request within probe_timeout seconds?"""
        try:
            return self._wait_for(self.kc.kernel_info(), self.probe_timeout) is not None
        except Exception:  # noqa: BLE001 - a kernel we cannot talk to does not respond
            return False


def cell_key(cell: NotebookNode) -> str:
    """How a cell is found in a budgets file: its nbgrader id, else its notebook cell id."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"grade:{grade_id}" if grade_id else f"id:{cell.get('id', '')}"


def load_budgets() -> dict[str, float]:
    """The per-cell time limits named by ``AUTOGRADE_CELL_BUDGETS`` (none when it is unset)."""
    path = os.environ.get(BUDGETS_ENV, "").strip()
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as file:
            return {str(k): float(v) for k, v in json.load(file).items()}
    except (OSError, ValueError, AttributeError):
        return {}


class CheckSeals(NbGraderPreprocessor):
    """Require each guarded test cell's seal, drop the guard lines, cap runaway output."""

    max_output_chars = Integer(
        100_000, help="Characters of stream output kept per cell (-1: no limit)."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources.get(RESOURCE_KEY, {})
        token = info.get("token")
        originals: dict[int, str] = info.get("originals", {})
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if index in originals:
                self._check_seal(cell, token)
                cell.source = originals[index]
            self._cap(cell)
        return nb, resources

    @staticmethod
    def _check_seal(cell: NotebookNode, token: str | None) -> None:
        grade_id = cell.metadata.nbgrader["grade_id"]
        pattern = re.compile(
            re.escape(f"{SEAL_PREFIX} {grade_id} {token}]") + r"\n?"
            if token
            else re.escape(SEAL_PREFIX) + r"[^\]]*\]\n?"
        )
        sealed = False
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                text, count = pattern.subn("", output.text)
                sealed = sealed or count > 0
                output.text = text
                if not text:
                    continue
            outputs.append(output)
        cell.outputs = outputs
        failed = any(o.output_type == "error" for o in outputs)
        if not sealed and not failed:
            cell.outputs.append(
                _error(
                    "TamperingDetected",
                    "This test did not run to its end, yet reported no error: something in the "
                    "notebook changed how cells run (an IPython hook, a trace function, a "
                    "replaced kernel method...). The test cannot be trusted and scores 0.",
                )
            )

    def _cap(self, cell: NotebookNode) -> None:
        if self.max_output_chars < 0:
            return
        budget = self.max_output_chars
        for output in cell.get("outputs", []):
            if output.output_type != "stream":
                continue
            if len(output.text) > budget:
                cut = len(output.text) - budget
                output.text = output.text[:budget] + (
                    f"\n... {cut} more characters of output cut by the autograder ...\n"
                )
                budget = 0
            else:
                budget -= len(output.text)
