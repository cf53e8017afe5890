"""The project's set-up files agree with each other and with what the course needs."""

from __future__ import annotations

import re
import tomllib

from grading.course import REPO_ROOT


def requirement_lines(text: str) -> dict[str, str]:
    """Package name (normalised) -> its version specifier, from requirement-style lines."""
    found = {}
    for raw in text.splitlines():
        line = raw.split("#")[0].strip().lstrip("-").strip()
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*([<>=!~].*)?", line)
        if line and match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = (match.group(2) or "").replace(
                " ", ""
            )
    return found


def environment_pip_packages() -> dict[str, str]:
    text = (REPO_ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    return requirement_lines(pip_block)


def test_environment_yml_lists_the_same_packages_as_requirements() -> None:
    requirements = requirement_lines((REPO_ROOT / "requirements.txt").read_text())
    assert requirements, "requirements.txt lists no packages"
    assert environment_pip_packages() == requirements


def test_python_version_is_at_least_3_11_everywhere() -> None:
    env = (REPO_ROOT / "environment.yml").read_text()
    assert re.search(r"-\s*python>=3\.1[1-9]", env), "environment.yml must pin python>=3.11"
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"


def test_direct_dependencies_are_ranges_not_a_freeze() -> None:
    for name, spec in requirement_lines((REPO_ROOT / "requirements.txt").read_text()).items():
        assert spec, f"{name} has no version constraint"
        if name != "nbgrader":  # the course is written against nbgrader 0.9.6's behaviour
            assert "<" in spec and ">=" in spec, f"{name}: use a range like >=a,<b, not {spec}"


def test_pyproject_reads_its_dependencies_from_requirements() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "dependencies" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"] == ["requirements.txt"]


def test_every_package_is_installed_and_deployed() -> None:
    """pyproject.toml installs every top-level package of the repository, and the instructor's
    hub environment (deploy/make-env.sh) copies each one it lists (a missing folder breaks that
    environment's pip install)."""
    listed = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]
    assert sorted(listed) == sorted(p.parent.name for p in REPO_ROOT.glob("*/__init__.py"))
    script = (REPO_ROOT / "deploy" / "make-env.sh").read_text()
    copied = re.search(r"^\s*for item in ([^;]+); do$", script, re.M)
    assert copied, "deploy/make-env.sh no longer copies the course's files in one loop"
    assert set(listed) <= set(copied.group(1).split())


def test_starting_nbgrader_does_not_import_the_slow_iri_parser() -> None:
    """jsonschema 4.24+ with rfc3987-syntax builds Earley parsers at import: about 1 s at every
    nbgrader and Jupyter start (see requirements.txt). The pin keeps it out of the environment."""
    import subprocess
    import sys

    code = "import sys, nbgrader.apps, jsonschema; print('rfc3987_syntax' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False", "nbgrader's start imported rfc3987_syntax"
