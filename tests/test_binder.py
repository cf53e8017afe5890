"""Binder's configuration (binder/) says what repo2docker needs, and builds a working course.

No Docker engine runs here, so the slow test does what repo2docker would do with these files,
in a fresh virtual environment: it reads binder/environment.yml (the Python version and the pip
lines, which it runs from binder/ as conda does), runs binder/postBuild, and executes every
student notebook. Nothing in it lists the course's packages: they come from the files.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from grading.course import REPO_ROOT

BINDER = REPO_ROOT / "binder"
ENVIRONMENT = BINDER / "environment.yml"
POST_BUILD = BINDER / "postBuild"
# How repo2docker's conda build pack reads the Python version (buildpacks/conda/__init__.py).
REPO2DOCKER_PYTHON = re.compile(r"python\s*=+\s*([\d\.]*)")
# Files that repo2docker would read instead of, or besides, environment.yml and postBuild.
OTHER_REPO2DOCKER_FILES = {
    "requirements.txt", "Pipfile", "Pipfile.lock", "setup.py", "pyproject.toml", "Dockerfile",
    "apt.txt", "runtime.txt", "start", "install.R", "DESCRIPTION", "Project.toml", "default.nix",
    "environment.yaml", ".binder",
}  # fmt: skip
STUDENT_OFF_LAB = {
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
}
STUDENT_OFF_SERVER = {
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
}
INDEX_OPTIONS = ("--index-url", "--extra-index-url", "-i", "--find-links", "-f")


def binder_environment() -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text())


def binder_python() -> str:
    """The "X.Y" Python version repo2docker builds for binder/environment.yml."""
    for dependency in binder_environment()["dependencies"]:
        if isinstance(dependency, str):
            match = REPO2DOCKER_PYTHON.match(dependency)
            if match and match.group(1):
                return ".".join(match.group(1).split(".")[:2])
    raise AssertionError("binder/environment.yml has no python=X.Y line")


def binder_pip_lines() -> list[str]:
    for dependency in binder_environment()["dependencies"]:
        if isinstance(dependency, dict) and "pip" in dependency:
            return dependency["pip"]
    raise AssertionError("binder/environment.yml has no pip section")


def test_binder_folder_holds_only_what_repo2docker_should_read() -> None:
    """binder/ exists, so repo2docker reads only it: environment.yml and postBuild, nothing else."""
    assert ENVIRONMENT.is_file() and POST_BUILD.is_file()
    extra = {p.name for p in BINDER.iterdir()} & OTHER_REPO2DOCKER_FILES
    assert not extra, f"binder/ also holds {extra}, which repo2docker would read"
    assert not (REPO_ROOT / ".binder").exists(), "repo2docker refuses both binder/ and .binder/"


def test_binder_python_is_one_the_course_supports() -> None:
    """A python=X.Y pin (repo2docker's default, 3.10, is too old), inside the course's range."""
    version = tuple(int(part) for part in binder_python().split("."))
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    minimum = tuple(int(p) for p in project["requires-python"].removeprefix(">=").split("."))
    assert version >= minimum, f"Binder's Python {version} is older than {minimum}"
    root = (REPO_ROOT / "environment.yml").read_text()
    below = re.search(r"python[^\n]*<\s*(\d+)\.(\d+)", root)
    assert below is None or version < (int(below.group(1)), int(below.group(2)))


def test_binder_takes_its_packages_from_requirements_txt() -> None:
    """No package is listed twice: pip reads ../requirements.txt and installs the course (-e ..)."""
    lines = [line.strip() for line in binder_pip_lines()]
    packages = [line for line in lines if not line.startswith("-")]
    assert not packages, f"binder/environment.yml lists packages itself: {packages}"
    assert "-r ../requirements.txt" in lines and "-e .." in lines, lines
    assert (BINDER / "../requirements.txt").resolve() == REPO_ROOT / "requirements.txt"
    conda = [d for d in binder_environment()["dependencies"] if isinstance(d, str)]
    assert sorted(d.split("=")[0] for d in conda) == ["pip", "python"], conda


def test_binder_installs_cpu_only_torch() -> None:
    lines = binder_pip_lines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines, lines


def test_post_build_is_a_strict_bash_script() -> None:
    text = POST_BUILD.read_text()
    assert text.startswith("#!/bin/bash\n"), "repo2docker runs postBuild as ./binder/postBuild"
    assert "set -euo pipefail" in text, "without set -e a failing step passes silently"
    assert os.access(POST_BUILD, os.X_OK), "postBuild must be executable (git mode 100755)"


def _run(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a command that must succeed; its stdout and then its stderr."""
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    assert result.returncode == 0, (
        f"{shlex.join(command)} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout + result.stderr


def _interpreter(version: str) -> str:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return getattr(sys, "_base_executable", sys.executable)
    found = shutil.which(f"python{version}")
    if not found:
        pytest.skip(f"Binder builds Python {version}, which this machine does not have")
    return found


RUN_NOTEBOOKS = """
import json, sys, time
from grading.course import assignments, execute, notebook_path
results = {"prefix": sys.prefix, "notebooks": {}}
for assignment in assignments():
    run = execute(notebook_path(assignment, release=True))
    tests = [c for c in run.cells if c.graded_test]
    results["notebooks"][assignment] = {
        "seconds": run.seconds,
        "errors": run.errors,
        "passing_tests": [c.grade_id for c in tests if not c.errors],
    }
open(sys.argv[1], "w").write(json.dumps(results))
"""
PROBE_KERNEL = """
import json, sys
import nbformat
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")])
NotebookClient(nb, kernel_name="python3", timeout=120).execute()
open(sys.argv[1], "w").write(json.dumps(nb.cells[0].outputs[0]["text"].strip()))
"""


@pytest.mark.slow
def test_fresh_binder_environment_runs_every_student_notebook(tmp_path: Path) -> None:
    """Build an environment from binder/ alone, run postBuild, run every student notebook."""
    started = time.perf_counter()
    venv = tmp_path / "binder-venv"
    _run([_interpreter(binder_python()), "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    # PYTHONDONTWRITEBYTECODE is left out along with pip's bytecode step (--no-compile below):
    # pip compiles every module it installs (PyTorch's install took 24 CPU seconds with it, 6
    # without, on a 2-core machine), while only the modules the checks and notebooks import need
    # bytecode, which they then write when first imported.
    unset = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),  # no user-level kernel spec gets in
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile"]
    # The same PyTorch as this environment's (the CPU wheel that .ci/run installs), so that no
    # CUDA wheel is downloaded; the CPU index line is left out below because torch is then
    # already there and the index is not reachable from every machine that runs the tests.
    _run([*pip, f"torch=={importlib.metadata.version('torch')}"], env=env)
    arguments = []
    for line in binder_pip_lines():
        words = shlex.split(line)
        if words[0].split("=")[0] not in INDEX_OPTIONS:
            arguments += words
    _run([*pip, *arguments], env=env, cwd=BINDER)  # conda runs pip from the file's folder
    _run(["bash", str(POST_BUILD)], env=env, cwd=REPO_ROOT)
    built = time.perf_counter() - started

    listed = re.sub(
        r"\x1b\[[0-9;]*m", "", _run([python, "-m", "jupyter", "labextension", "list"], env=env)
    )
    disabled = {line.strip() for line in listed.partition("Disabled extensions:")[2].splitlines()}
    assert STUDENT_OFF_LAB <= disabled, listed
    page_config = json.loads((venv / "etc/jupyter/labconfig/page_config.json").read_text())
    assert STUDENT_OFF_LAB <= {k for k, v in page_config["disabledExtensions"].items() if v}
    assert "@jupyter/nbgrader:validate-assignment" not in page_config["disabledExtensions"]
    servers = re.sub(
        r"\x1b\[[0-9;]*m",
        "",
        _run([python, "-m", "jupyter", "server", "extension", "list"], env=env),
    )
    for extension in STUDENT_OFF_SERVER:
        assert re.search(rf"{re.escape(extension)}\s+disabled", servers), servers
    assert re.search(r"nbgrader.server_extensions.validate_assignment\s+enabled", servers)

    answer = tmp_path / "answer.json"
    _run([python, "-c", PROBE_KERNEL, str(answer)], env=env, cwd=tmp_path)
    kernel_prefix = json.loads(answer.read_text())
    assert Path(kernel_prefix).resolve() == venv.resolve(), "notebooks ran in another Python"
    _run([python, "-c", RUN_NOTEBOOKS, str(answer)], env=env, cwd=tmp_path)
    results = json.loads(answer.read_text())
    total = time.perf_counter() - started
    print(
        f"\nBinder environment built in {built:.0f} s; checks and notebooks {total - built:.0f} s"
    )
    problems = {}
    for assignment, run in results["notebooks"].items():
        print(f"  {assignment}: {run['seconds']:.1f} s")
        others = [(i, e) for i, e in run["errors"] if not e.startswith("NotImplementedError")]
        if others or run["passing_tests"]:
            problems[assignment] = {
                "errors": others,
                "tests passing on stubs": run["passing_tests"],
            }
    assert results["notebooks"], "no student notebook found"
    assert not problems, f"student notebooks misbehave in the Binder environment: {problems}"
