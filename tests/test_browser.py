"""The student's experience in a real browser: JupyterLab driven by headless Chromium.

A JupyterLab server runs on a temporary copy of the course (tests/browser/lab.py). For each
covered notebook the student version runs cell by cell, as a student runs it, and stops only at
the stubs' NotImplementedError; the instructor version runs top to bottom with no error, its
plots render as images, and moving a slider redraws its interactive plot. Two more tests check
the first five minutes: a kernel without the course's package gets a helpful message instead of
a long traceback, and a JupyterLab without the widgets extension shows a static plot with a note.

Screenshots go to artifacts/browser/ (gitignored). Needs the ``playwright`` package and Debian's
``chromium`` (.ci/run installs both); without them the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import lab

from grading.course import RELEASE, SOLUTIONS

pytestmark = pytest.mark.slow

# The notebooks this test covers. Every one in REQUIRED must exist: a missing one fails the test.
# The others are checked when they exist and skipped (with a reason) while they are being written.
COVERED = ("01_gradient_descent", "03_momentum", "08_landscape_showdown")
REQUIRED = ("01_gradient_descent",)
STUB_ERROR = "NotImplementedError"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not lab.CHROMIUM.exists():
        return f"{lab.CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run under CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    context = lab.launch_chromium(playwright, tmp_path_factory.mktemp("chromium-profile"))
    context.set_default_timeout(lab.PAGE_LOAD_MS)
    yield context
    context.close()


@pytest.fixture(scope="module")
def server(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[lab.LabServer]:
    running = lab.start_lab(tmp_path_factory.mktemp("lab"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server_without_widgets(
    playwright: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[lab.LabServer]:
    running = lab.start_lab(tmp_path_factory.mktemp("lab-nowidgets"), (lab.WIDGETS_EXTENSION,))
    yield running
    running.stop()


def _notebook_page(
    chromium: Any, server: lab.LabServer, request: pytest.FixtureRequest
) -> Iterator[lab.NotebookPage]:
    page = chromium.new_page()
    notebook = lab.NotebookPage(page, server)
    failures_before = request.session.testsfailed
    yield notebook
    if request.session.testsfailed > failures_before:  # this test failed: keep what it saw
        notebook.screenshot(re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + "-FAILED")
    page.close()
    server.shutdown_kernels()


@pytest.fixture
def notebook(
    chromium: Any, server: lab.LabServer, request: pytest.FixtureRequest
) -> Iterator[lab.NotebookPage]:
    yield from _notebook_page(chromium, server, request)


@pytest.fixture
def notebook_without_widgets(
    chromium: Any, server_without_widgets: lab.LabServer, request: pytest.FixtureRequest
) -> Iterator[lab.NotebookPage]:
    yield from _notebook_page(chromium, server_without_widgets, request)


def _require(assignment: str, root: Path) -> str:
    """The notebook's path relative to the course root; a missing REQUIRED notebook fails."""
    path = root / assignment / f"{assignment}.ipynb"
    if not path.exists():
        message = f"{path.relative_to(root.parent)} does not exist"
        if assignment in REQUIRED:
            pytest.fail(f"{message}, and {assignment} is in REQUIRED")
        pytest.skip(f"{message} yet (not in REQUIRED)")
    return str(path.relative_to(root.parent))


def _errors(cells: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [
        (cell["index"], output["ename"], output["evalue"] or "")
        for cell in cells
        for output in cell["outputs"]
        if output["output_type"] == "error"
    ]


@pytest.mark.parametrize("assignment", COVERED)
def test_student_notebook_stops_only_at_the_stubs(
    assignment: str, notebook: lab.NotebookPage
) -> None:
    """Run every cell of the student version, one at a time: only the stubs' error appears."""
    notebook.open(_require(assignment, RELEASE))
    for cell in notebook.cells():
        if cell["type"] == "code":
            notebook.run_cell(cell["index"])
    cells = notebook.cells()
    errors = _errors(cells)
    others = [e for e in errors if e[1] != STUB_ERROR]
    assert not others, f"{assignment}: errors other than the stubs' {STUB_ERROR}: {others}"
    tests = [c for c in cells if c["graded_test"]]
    assert tests, f"{assignment}: no graded test cell found in the page"
    passing = [c["grade_id"] for c in tests if not any(e[0] == c["index"] for e in errors)]
    assert not passing, f"{assignment}: test cells {passing} did not stop on the stubs"
    first = tests[0]["index"]
    rendered = notebook.cell(first).locator(".jp-Cell-outputArea").inner_text()
    assert STUB_ERROR in rendered, f"{assignment}: the page does not show the error:\n{rendered}"
    output = notebook.cell(first).locator(".jp-Cell-outputArea")
    notebook.screenshot(f"{assignment}-student-stub-error", output)


@pytest.mark.parametrize("assignment", COVERED)
def test_solution_runs_plots_and_sliders_redraw(
    assignment: str, notebook: lab.NotebookPage
) -> None:
    """Run All on the instructor version: no error, every plot an image, a slider redraws."""
    notebook.open(_require(assignment, SOLUTIONS))
    notebook.run_all()
    cells = notebook.cells()
    errors = _errors(cells)
    assert not errors, f"{assignment}: errors in the solution notebook: {errors}"
    code = [c for c in cells if c["type"] == "code"]
    skipped = [c["index"] for c in code if c["execution_count"] is None and c["source"].strip()]
    assert not skipped, f"{assignment}: cells {skipped} did not run"

    images = notebook.rendered_images()
    broken = {i: bad for i, (_, bad) in images.items() if bad}
    assert not broken, f"{assignment}: images that did not load, per cell: {broken}"
    for cell in code:
        expected = sum("image/png" in o["mimes"] for o in cell["outputs"])
        assert images[cell["index"]][0] >= expected, (
            f"{assignment}: cell {cell['index']} has {expected} plots, "
            f"the page shows {images[cell['index']][0]}"
        )
    plotted = [i for i, (ok, _) in images.items() if ok]
    assert plotted, f"{assignment}: no plot rendered as an image"
    first_plot = notebook.cell(plotted[0]).locator(".jp-OutputArea-output img").first
    notebook.screenshot(f"{assignment}-solution-plot", first_plot)

    if any("interactive_plot(" in c["source"] for c in code):
        _move_a_slider(assignment, notebook)


def _move_a_slider(assignment: str, notebook: lab.NotebookPage) -> None:
    """Drag the first slider of the first interactive plot; its picture must change."""
    page = notebook.page
    box = page.locator(".jp-OutputArea-output > .widget-vbox", has=page.locator(".widget-slider"))
    assert box.count() > 0, f"{assignment}: no slider rendered (is the widgets extension on?)"
    box = box.first
    box.scroll_into_view_if_needed()
    picture = box.locator(".widget-output img")
    picture.first.wait_for(state="visible")
    before_src = picture.first.get_attribute("src")
    slider = box.locator(".widget-slider").first
    readout = slider.locator(".widget-readout")
    before_value = readout.inner_text()
    notebook.screenshot(f"{assignment}-slider-before", box)

    track = slider.locator(".noUi-base").bounding_box()
    handle = slider.locator(".noUi-handle").bounding_box()
    assert track and handle, f"{assignment}: the slider has no size on the page"
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    room_right = track["x"] + track["width"] - x
    shift = 0.3 * track["width"] * (1 if room_right > track["width"] / 2 else -1)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + shift / 2, y, steps=5)
    page.mouse.move(x + shift, y, steps=5)
    page.mouse.up()

    page.wait_for_function(
        """([box, before]) => {
            const img = box.querySelector('.widget-output img');
            return !!img && img.getAttribute('src') !== before && img.complete
                && img.naturalWidth > 0;
        }""",
        arg=[box.element_handle(), before_src],
        timeout=lab.RUN_MS,
        polling=250,
    )
    notebook.wait_for_kernel()
    after_value = readout.inner_text()
    assert after_value != before_value, f"{assignment}: the slider's value did not change"
    errors = box.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"{assignment}: the redraw failed: {errors.first.inner_text()}"
    notebook.screenshot(f"{assignment}-slider-after", box)


def test_wrong_kernel_gets_a_helpful_message(notebook: lab.NotebookPage) -> None:
    """A kernel without the course's package: the setup cell says what to do, in a few lines."""
    assignment = REQUIRED[0]
    notebook.open(_require(assignment, RELEASE))
    assert notebook.change_kernel(lab.NO_OPTIMLAB_KERNEL) == lab.NO_OPTIMLAB_KERNEL
    setup = next(c for c in notebook.cells() if c["type"] == "code")
    notebook.run_cell(setup["index"])
    errors = _errors(notebook.cells())
    assert [(i, name) for i, name, _ in errors] == [(setup["index"], "ModuleNotFoundError")]
    message = errors[0][2]
    for needed in ("'optimlab' is not installed", "Change Kernel", "README"):
        assert needed in message, f"the message lacks {needed!r}: {message}"
    shown = notebook.cell(setup["index"]).locator(".jp-Cell-outputArea").inner_text()
    assert "Change Kernel" in shown
    assert "During handling of the above exception" not in shown, "the traceback is chained"
    assert len(shown.splitlines()) <= 15, f"a long traceback instead of a message:\n{shown}"
    notebook.screenshot(f"{assignment}-wrong-kernel-message", notebook.cell(setup["index"]))


def test_widget_falls_back_to_a_static_plot(notebook_without_widgets: lab.NotebookPage) -> None:
    """JupyterLab without the widgets extension: a static plot and a note, not 'VBox(...)'."""
    notebook = notebook_without_widgets
    assignment = REQUIRED[0]
    notebook.open(_require(assignment, SOLUTIONS))
    notebook.run_all()
    cells = notebook.cells()
    assert not _errors(cells), _errors(cells)
    widget_cells = [
        c["index"] for c in cells if any(WIDGET_VIEW in o["mimes"] for o in c["outputs"])
    ]
    assert widget_cells, f"{assignment}: no cell displayed a widget"
    page = notebook.page
    assert page.locator(".widget-slider").count() == 0, "the widgets extension is still on"
    for index in widget_cells:
        fallback = notebook.cell(index).locator(".optimlab-static-fallback")
        assert fallback.count() == 1, f"cell {index}: no static fallback shown"
        image = fallback.locator("img").first
        image.scroll_into_view_if_needed()
        loaded = image.evaluate("(img) => img.complete && img.naturalWidth > 0")
        assert loaded, f"cell {index}: the static plot did not load"
        text = fallback.inner_text()
        assert "could not be shown here" in text and "jupyterlab_widgets" in text, text
        shown = notebook.cell(index).locator(".jp-Cell-outputArea").inner_text()
        assert "VBox(" not in shown, f"cell {index} shows the widget's text form: {shown}"
    notebook.screenshot(f"{assignment}-no-widgets-fallback", notebook.cell(widget_cells[0]))
