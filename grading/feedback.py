"""Feedback that tells a written answer waiting for a person from one that scored 0.

nbgrader's ``generate_feedback`` prints "Score: 0.0" for a manually graded answer that nobody has
graded yet, and counts it 0 in the notebook's total. ``nbgrader_config.py`` makes it use
``WaitingAnswersFeedback`` instead of its HTML exporter: the same page, with "not graded yet" in
place of those scores and a note above the table of contents. ``python -m grading.selfgrade``
runs the same ``generate_feedback``, so both say it the same way.
"""

from __future__ import annotations

import html
import re
from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import Unicode

NOT_GRADED_YET = "not graded yet"


def is_waiting(grade: Any) -> bool:
    """Whether a written answer's grade (an ``nbgrader.api.Grade`` of an answer cell) waits for a
    person: neither autograded (an unanswered cell scores 0 on its own) nor graded by hand."""
    return grade.auto_score is None and grade.manual_score is None


def waiting_answers(db_url: str, notebook: str, assignment: str, student: str) -> dict[str, float]:
    """The student's written answers in ``notebook`` that wait for a person, with their points."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        answers = {cell.name for cell in submitted.notebook.solution_cells}
        return {
            grade.name: float(grade.max_score)
            for grade in submitted.grades
            if grade.name in answers and is_waiting(grade)
        }


def mark_waiting(page: str, waiting: dict[str, float], advice: str = "") -> str:
    """nbgrader's feedback page with each waiting answer's score (in the table of contents and
    above the cell) shown as "not graded yet", and a note saying why, then ``advice``."""
    if not waiting:
        return page
    for name in waiting:
        in_contents = re.escape(f'<a href="#{name}">') + r"[^<]*</a>\s*\(Score:\s*"
        above_cell = re.escape(f'<a name="{name}"></a>') + r".*?Score:\s*"
        page = re.sub(rf"({in_contents})[0-9.]+(\s*/)", rf"\1{NOT_GRADED_YET}\2", page)
        page = re.sub(
            rf"({above_cell})[0-9.]+(\s*/)", rf"\1{NOT_GRADED_YET}\2", page, count=1, flags=re.S
        )
    note = (
        f"Written answers ({', '.join(sorted(waiting))}) are graded by a person, not by the "
        "autograder: the total above counts them as 0 until then."
    )
    if advice:
        note += f" {advice}"
    return page.replace(
        '<div id="toc">',
        f'<p class="pending-note"><b>{html.escape(note)}</b></p>\n<div id="toc">',
        1,
    )


class WaitingAnswersFeedback(HTMLExporter):
    """nbgrader's feedback exporter (its template and preprocessors are unchanged) that shows
    written answers waiting for a person as "not graded yet" instead of 0."""

    advice = Unicode(
        "", help="a sentence added to the note about waiting answers (what the student can do)"
    ).tag(config=True)

    def from_notebook_node(self, nb, resources=None, **kw):
        page, resources = super().from_notebook_node(nb, resources, **kw)
        about = (resources or {}).get("nbgrader", {})
        if about.get("db_url") and about.get("student"):
            waiting = waiting_answers(
                about["db_url"], about["notebook"], about["assignment"], about["student"]
            )
            page = mark_waiting(page, waiting, self.advice)
        return page, resources
