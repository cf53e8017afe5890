"""One assignment through a whole term on a real JupyterHub with nbgrader's exchange.

deploy/ runs as an instructor would run it (tests/hub/): JupyterHub from PyPI, configurable-http-
proxy from npm, on 127.0.0.1, PAM login with real Unix accounts and one Unix user per server. One
instructor and two students: the instructor releases 01_gradient_descent; student A fetches it in
JupyterLab's Assignments tab in Chromium (after logging in with a password on the hub's login page)
and hands in the solution; student B fetches and submits the untouched release through the hub's
REST API (the same endpoints the Assignments tab calls); the instructor collects, grades with the
course's batch runner, returns feedback and exports grades; each student fetches their feedback.

It checks the scores (every autograded point for A, whose written answer waits for a grade by
hand, and zero for B), that each student reads only their own feedback, that no student can read
the solutions, the gradebook or the instructor's references, that hidden tests appear in no
student's files before feedback, and that students get JupyterLab without nbgrader's instructor
extensions while the instructor has them.

Needs root, Debian's chromium, configurable-http-proxy (npm) and jupyterhub (the ``hub`` extra);
.ci/run installs them. Without them it skips, except under CI, where it fails. The screenshot goes
to artifacts/hub/. Set OPTX_HUB_STUDENT_ENV to a students' environment made by
deploy/make-student-env.sh and OPTX_HUB_INSTRUCTOR_ENV to one made by make-instructor-env.sh to
skip building them (about a minute and 1.5 GB each).
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import lab
from hub import HubClass, User, missing_requirements

pytestmark = [pytest.mark.slow, pytest.mark.hub]

ASSIGNMENT = "01_gradient_descent"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE = "optimizers"
ARTIFACTS = lab.REPO_ROOT / "artifacts" / "hub"
INSTRUCTOR_PLUGINS = (
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
)
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
SPAWN_MS = 240_000


def _cannot_run() -> str | None:
    missing = missing_requirements()
    if missing:
        return missing
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not lab.CHROMIUM.exists():
        return f"{lab.CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def hub_class() -> Iterator[HubClass]:
    reason = _cannot_run()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the hub test cannot run under CI: {reason}")
        pytest.skip(reason)
    term = HubClass()
    try:
        term.create_folders()
        term.add_user("instructor", "teach")
        term.add_user("student", "ann")
        term.add_user("student", "ben")
        term.build_environments()
        term.start_hub()
        for user in term.users.values():
            term.register(user)
        yield term
    finally:
        term.close()
    assert not term.root.exists(), f"{term.root} is still there"


def _solution_sources() -> dict[str, str]:
    notebook = json.loads((lab.REPO_ROOT / "solutions" / ASSIGNMENT / NOTEBOOK).read_text())
    return {
        cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["metadata"].get("nbgrader", {}).get("solution")
    }


def _hand_graded_points() -> float:
    """Points of the written answers (manually graded answer cells) in the assignment."""
    notebook = json.loads((lab.REPO_ROOT / "solutions" / ASSIGNMENT / NOTEBOOK).read_text())
    grading = [cell["metadata"].get("nbgrader", {}) for cell in notebook["cells"]]
    return sum(float(g["points"]) for g in grading if g.get("grade") and g.get("solution"))


def _hidden_lines() -> list[str]:
    """Lines of the hidden tests that the release does not contain."""
    notebook = json.loads((lab.REPO_ROOT / "solutions" / ASSIGNMENT / NOTEBOOK).read_text())
    release = (lab.REPO_ROOT / "notebooks" / ASSIGNMENT / NOTEBOOK).read_text()
    lines = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", source, re.S):
            lines += [
                line.strip()
                for line in block.splitlines()
                if len(line.strip()) > 25 and json.dumps(line.strip())[1:-1] not in release
            ]
    assert lines, "the solution notebook has no hidden tests to look for"
    return lines


def _files_of(user: User) -> dict[Path, str]:
    return {
        path: path.read_text(errors="replace")
        for path in user.home.rglob("*")
        if path.is_file() and path.stat().st_size < 20_000_000
    }


def _assert_no_hidden_tests(term: HubClass, students: list[User], hidden: list[str]) -> None:
    for student in students:
        for path, text in _files_of(student).items():
            assert HIDDEN_BEGIN not in text, f"{path} shows hidden tests"
            leaked = [line for line in hidden if line in text or json.dumps(line)[1:-1] in text]
            assert not leaked, f"{path} contains hidden-test lines: {leaked[:3]}"
    outbound = term.exchange / COURSE / "outbound"
    for path in outbound.rglob("*"):
        if path.is_file():
            assert HIDDEN_BEGIN not in path.read_text(errors="replace"), f"{path} (exchange)"


def _cannot(term: HubClass, user: User, command: list[str], what: str) -> None:
    result = term.run_as(user, command, check=False)
    assert result.returncode != 0, f"{user.name} could {what}:\n{result.stdout[:500]}"


def _page_config(page_html: str) -> dict[str, Any]:
    found = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page_html, re.S)
    assert found, "no jupyter-config-data in the lab page"
    return json.loads(found.group(1))


def _disabled(config: dict[str, Any]) -> set[str]:
    """The lab's disabled plugins (a list, or a mapping of name to true, in page configs)."""
    disabled = config.get("disabledExtensions") or []
    if isinstance(disabled, dict):
        return {name for name, off in disabled.items() if off}
    return set(disabled)


def _lab_disabled(term: HubClass, user: User) -> set[str]:
    return _disabled(_page_config(term.user_api(user, "GET", "lab")))


def _fetch_in_browser(term: HubClass, student: User, tmp_path: Path) -> dict[str, Any]:
    """Log in on the hub's page, open Nbgrader > Assignment List and press Fetch."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Any] = {}
    with sync_playwright() as driver:
        context = lab.launch_chromium(driver, tmp_path / "chromium-profile")
        context.set_default_timeout(SPAWN_MS)
        page = context.new_page()
        try:
            page.goto(f"{term.url}/hub/login")
            page.fill("#username_input", student.name)
            page.fill("#password_input", student.password)
            page.click("#login_submit")
            page.wait_for_url(re.compile(rf"/user/{student.name}/lab"), timeout=SPAWN_MS)
            menu = page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")
            menu.wait_for(state="visible")
            seen["disabled"] = _disabled(
                page.evaluate(
                    "JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                )
            )
            menu.click()
            items = page.locator("#jp-mainmenu-nbgrader .lm-Menu-itemLabel")
            items.first.wait_for(state="visible")
            # Items of commands that no plugin registered stay in the menu, hidden and unlabelled.
            seen["menu"] = [text.strip() for text in items.all_inner_texts() if text.strip()]
            page.screenshot(path=str(ARTIFACTS / "student-nbgrader-menu.png"))
            page.locator("#jp-mainmenu-nbgrader .lm-Menu-item", has_text="Assignment List").click()
            released = page.locator("#released_assignments_list")
            released.get_by_text(ASSIGNMENT).wait_for(state="visible")
            seen["hidden_before_fetch"] = page.content().count(HIDDEN_BEGIN)
            released.get_by_role("button", name="Fetch").click()
            fetched = page.locator("#fetched_assignments_list")
            fetched.get_by_text(ASSIGNMENT).first.wait_for(state="visible")
            seen["fetched_text"] = fetched.inner_text()
            # The fetched folder shows up in the file browser (it refreshes every few seconds).
            listing = page.locator(".jp-DirListing-item", has_text=ASSIGNMENT)
            listing.first.wait_for(state="visible", timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "student-assignments-fetched.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "student-FAILED.png"))
            raise
        finally:
            context.close()
    return seen


def _fill_in_solutions(term: HubClass, student: User) -> None:
    """What a student who solved every exercise saves: the solution code in each answer cell."""
    path = f"api/contents/{ASSIGNMENT}/{NOTEBOOK}"
    model = term.user_api(student, "GET", path, params={"content": "1"})
    solutions = _solution_sources()
    filled = 0
    for cell in model["content"]["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell["source"] = solutions[grade_id]
            filled += 1
    assert filled == len(solutions), f"filled {filled} of {len(solutions)} answer cells"
    body = {"type": "notebook", "format": "json", "content": model["content"]}
    term.user_api(student, "PUT", path, body)


def _assignment_action(term: HubClass, student: User, action: str) -> Any:
    params = {"course_id": COURSE, "assignment_id": ASSIGNMENT}
    return term.user_api(student, "POST", f"assignments/{action}", params=params)


def test_one_assignment_through_a_term(hub_class: HubClass, tmp_path: Path) -> None:
    term = hub_class
    teacher, ann, ben = term.users.values()
    course = term.course_dir(teacher)
    term.create_course(teacher)
    hidden = _hidden_lines()
    nbgrader = ["python", "-m", "nbgrader"]

    # The instructor's JupyterLab has nbgrader's instructor tools; generate and release.
    term.start_server(teacher)
    assert not _lab_disabled(term, teacher) & set(INSTRUCTOR_PLUGINS)
    term.user_api(teacher, "GET", "formgrader")
    term.run_as(teacher, [*nbgrader, "generate_assignment", ASSIGNMENT], cwd=course)
    term.run_as(teacher, [*nbgrader, "release_assignment", ASSIGNMENT], cwd=course)
    assert (term.exchange / COURSE / "outbound" / ASSIGNMENT / NOTEBOOK).exists()

    # Student A: password login, Assignments tab, Fetch, in Chromium.
    seen = _fetch_in_browser(term, ann, tmp_path)
    assert set(INSTRUCTOR_PLUGINS) <= seen["disabled"], seen["disabled"]
    assert seen["menu"] == ["Assignment List"], f"a student's Nbgrader menu: {seen['menu']}"
    assert ASSIGNMENT in seen["fetched_text"]
    assert (ann.home / ASSIGNMENT / NOTEBOOK).exists()
    assert (ann.home / ASSIGNMENT / NOTEBOOK).stat().st_uid == os.stat(ann.home).st_uid

    # Student B: the hub's REST API, with B's own token.
    term.start_server(ben)
    assert set(INSTRUCTOR_PLUGINS) <= _lab_disabled(term, ben)
    term.user_api(ben, "GET", "formgrader", ok=(404,))  # the server extension is off too
    listed = term.user_api(ben, "GET", "assignments", params={"course_id": COURSE})
    assert any(a["assignment_id"] == ASSIGNMENT for a in listed["value"]), listed
    _assignment_action(term, ben, "fetch")
    assert (ben.home / ASSIGNMENT / NOTEBOOK).exists()

    # What students cannot reach: the course folder, the gradebook, the references.
    for student in (ann, ben):
        _cannot(term, student, ["ls", str(course)], "list the course folder")
        _cannot(term, student, ["cat", str(course / "gradebook.db")], "read the gradebook")
        solution = course / "solutions" / ASSIGNMENT / NOTEBOOK
        _cannot(term, student, ["cat", str(solution)], "read the solutions")
        _cannot(term, student, ["python", "-c", "import autograder"], "import autograder")
        term.run_as(student, ["python", "-c", "import optimlab"])
    _cannot(term, ann, ["ls", str(ben.home)], "list another student's home")

    # A hands in the solution, B the untouched release.
    _fill_in_solutions(term, ann)
    _assignment_action(term, ann, "submit")
    _assignment_action(term, ben, "submit")
    _cannot(term, ann, ["ls", str(term.exchange / COURSE / "inbound")], "list submissions")
    _assert_no_hidden_tests(term, [ann, ben], hidden)

    # The instructor collects, grades with the batch runner, returns feedback.
    term.run_as(teacher, [*nbgrader, "collect", ASSIGNMENT], cwd=course)
    graded = term.run_as(teacher, ["python", "-m", "grading.batch", ASSIGNMENT], cwd=course)
    print(graded.stdout)
    _assert_no_hidden_tests(term, [ann, ben], hidden)
    term.run_as(teacher, [*nbgrader, "generate_feedback", ASSIGNMENT], cwd=course)
    term.run_as(teacher, [*nbgrader, "release_feedback", ASSIGNMENT], cwd=course)
    _assert_no_hidden_tests(term, [ann, ben], hidden)

    # Each student fetches their own feedback; nobody reads the other's.
    feedback: dict[str, Path] = {}
    for student in (ann, ben):
        _assignment_action(term, student, "fetch_feedback")
        found = sorted((student.home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(found) == 1, f"{student.name}'s feedback: {found}"
        feedback[student.name] = found[0]
        term.run_as(student, ["cat", str(found[0])])
    _cannot(term, ann, ["cat", str(feedback[ben.name])], "read B's feedback")
    _cannot(term, ben, ["cat", str(feedback[ann.name])], "read A's feedback")
    _cannot(term, ann, ["ls", str(term.exchange / COURSE / "feedback")], "list all feedback")
    # Feedback is where hidden tests become visible, by design: the check above can see them.
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback[ann.name].read_text()))  # highlighted
    assert any(line in text for line in hidden), "hidden tests are not in A's feedback"

    # Grades: every autograded point for A (a written answer waits for a grade by hand, which
    # nbgrader's export counts as 0), zero for B.
    term.run_as(teacher, [*nbgrader, "export"], cwd=course)
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {ann.name, ben.name}, rows
    full = float(rows[ann.name]["max_score"])
    autograded = full - _hand_graded_points()
    assert autograded > 0
    assert float(rows[ann.name]["score"]) == autograded, rows[ann.name]
    assert float(rows[ben.name]["score"]) == 0.0, rows[ben.name]
    print(f"scores: {ann.name} {autograded}/{full}, {ben.name} 0/{full}", file=sys.stderr)
