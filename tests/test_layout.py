"""The grader's layout: one hidden-check module per notebook, one kit, one optimizer registry."""

from __future__ import annotations

import ast
import importlib
import re

import nbformat
import pytest

from grading.course import REPO_ROOT, assignments, is_graded_test, notebook_path
from optimlab import registry

HIDDEN = REPO_ROOT / "autograder" / "hidden"
HIDDEN_PART = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def hidden_module(assignment: str) -> str:
    """The module that holds an assignment's own hidden checks: 03_momentum -> nb03_momentum."""
    return f"autograder.hidden.nb{assignment}"


def imported_modules(source: str) -> set[str]:
    """Every module a piece of code imports (``import x`` and ``from x import y``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("assignment", assignments())
def test_hidden_cells_import_only_the_kit_and_their_own_module(assignment: str) -> None:
    notebook = nbformat.read(notebook_path(assignment), as_version=4)
    allowed_own = hidden_module(assignment)
    for cell in notebook.cells:
        if not is_graded_test(cell):
            continue
        for part in HIDDEN_PART.findall(cell.source):
            for module in imported_modules(part):
                if not module.startswith("autograder"):
                    continue
                assert module == allowed_own or module.startswith("autograder.kit."), (
                    f"{assignment}, {cell.metadata['nbgrader']['grade_id']}: hidden tests import "
                    f"{module}; they may import only autograder.kit.* and {allowed_own}"
                )


def test_every_hidden_module_belongs_to_a_notebook() -> None:
    known = {f"nb{a}" for a in assignments()}
    modules = {p.stem for p in HIDDEN.glob("nb*.py")}
    assert modules, "no hidden-check modules found"
    assert modules <= known, f"hidden modules without a notebook: {sorted(modules - known)}"
    for name in modules:
        importlib.import_module(f"autograder.hidden.{name}")


def test_student_package_never_imports_the_autograder() -> None:
    """optimlab <- autograder, never the other way: a hub installs optimlab without answers."""
    for path in (REPO_ROOT / "optimlab").glob("*.py"):
        modules = imported_modules(path.read_text())
        leaked = sorted(m for m in modules if m.split(".")[0] == "autograder")
        assert not leaked, f"{path.name} imports {leaked}"


def test_kernel_side_code_never_imports_the_grading_infrastructure() -> None:
    """optimlab and autograder run inside a notebook's kernel; grading (nbgrader, the batch
    runner) never does: neither imports it, and grading holds no hidden checks."""
    for path in [
        *(REPO_ROOT / "optimlab").rglob("*.py"),
        *(REPO_ROOT / "autograder").rglob("*.py"),
    ]:
        modules = imported_modules(path.read_text())
        leaked = sorted(m for m in modules if m.split(".")[0] == "grading")
        assert not leaked, f"{path.relative_to(REPO_ROOT)} imports {leaked}"
    infrastructure = {p.stem for p in (REPO_ROOT / "grading").glob("*.py")} - {"__init__"}
    assert {"batch", "selfgrade", "preprocessors", "course"} <= infrastructure
    assert not infrastructure & {p.stem for p in (REPO_ROOT / "autograder").rglob("*.py")}


def test_registry_spells_each_optimizer_once() -> None:
    infos = list(registry.OPTIMIZERS.values())
    for attribute in ("key", "name", "step_function"):
        values = [getattr(info, attribute) for info in infos]
        assert len(set(values)) == len(values), f"two optimizers share a {attribute}: {values}"
    for info in infos:
        assert registry.get(info.key) is info
        assert registry.by_name(info.name) is info
        assert registry.by_step_function(info.step_function) is info
        assert set(info.torch_state) == set(info.state), info.key
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        registry.get("adagrad")


def test_grader_tables_derive_from_the_registry() -> None:
    """Every table that lists optimizers agrees with the registry, key for key."""
    from autograder.hidden import nb07_lion, nb09_pytorch_optimizers
    from autograder.kit import torch_twins, update_rules

    keys = list(registry.KEYS)
    assert [update_rules.rule_for(k).name for k in keys] == [
        registry.get(k).step_function for k in keys
    ]
    assert list(torch_twins.OPTIMIZERS) == keys
    assert set(torch_twins.DEFAULT_HPARAMS) == set(keys)
    assert list(nb07_lion.OPTIMIZERS) == keys
    stateful = [registry.get(k).name for k in keys if registry.get(k).state]
    assert list(nb09_pytorch_optimizers.SPECS) == stateful
    for name, spec in nb09_pytorch_optimizers.SPECS.items():
        assert spec.defaults == registry.by_name(name).defaults


@pytest.mark.parametrize("key", registry.KEYS)
def test_registry_builds_the_library_optimizer_with_the_course_defaults(key: str) -> None:
    torch = pytest.importorskip("torch")
    info = registry.get(key)
    param = torch.zeros(3, requires_grad=True)
    optimizer = info.make_torch([param])
    group = optimizer.param_groups[0]
    assert group["lr"] == info.defaults["lr"]
    if "weight_decay" in info.defaults:
        assert group["weight_decay"] == info.defaults["weight_decay"]
    with pytest.raises(ValueError, match="no hyperparameter"):
        info.make_torch([param], momentum_typo=0.9)


def test_layout_modules_are_where_the_docs_say() -> None:
    guide = (REPO_ROOT / "docs" / "maintainers.md").read_text()
    for path in ("autograder/hidden/", "autograder/kit/", "optimlab/registry.py", "tests/mutants/"):
        assert path in guide, f"docs/maintainers.md does not mention {path}"
        assert (REPO_ROOT / path.rstrip("/")).exists(), path
