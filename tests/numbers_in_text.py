"""Find the numbers a notebook's prose states that none of its cells prints: stale figures.

The course's rule: a number in a markdown cell is printed by a code cell of the same notebook in
the same run (the FAST run the tests execute), or it is a constant the code spells out, or the
paragraph labels it as a *reference figure* with its conditions. This module reads an executed
notebook and lists every number of its prose that fails all three, so that a sentence written
against one run cannot silently outlive it.

What counts as a number of the prose: decimals (``0.14``, ``6.5``), percentages (``98%``) and
whole numbers from 10 up (``286 steps``, ``60,000 images``). Small whole numbers (counts like
"three problems"), section and notebook numbers, the header's ``**Time:**`` estimate, years,
URLs and fenced code are not figures. A prose number is found when some number in a code
cell's source or output equals it at the precision the prose writes it (``0.10`` matches a
printed ``0.1034``; ``98%`` matches ``0.981``).

Numbers the prose derives by arithmetic it shows (``\\sqrt{1000} \\approx 31.6``) are listed, with
the reason, in the caller's allowlist: see ``tests/test_numbers_in_text.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

# A number as prose writes it: 60,000 or 0.953 or 98 (followed by an optional %). Not a piece of
# an identifier, a LaTeX subscript or exponent, a version, a path or a longer number.
PROSE_NUMBER = re.compile(
    r"(?<![\w.^_{}\\/-])(\d{1,3}(?:(?:,|\{,\}|\\,| )\d{3})+(?![\d.])|\d+(?:\.\d+)?)"
    r"(\s*\\?%)?(?![\w.]*\d)"
)
PRINTED_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
REFERENCE_LABEL = "reference figure"
NOT_FIGURES = [
    re.compile(r"```.*?```", re.S),  # code blocks show code, not results
    re.compile(r"https?://\S+"),
    re.compile(r"\*\*Time:\*\*.*$", re.M),  # the header's estimate; tests check its points
    re.compile(r"^#+\s*[\d.]+", re.M),  # section numbers of headings
    re.compile(
        r"\b(?:[Ss]ections?|[Nn]otebooks?|[Ee]xercises?)\s+[\d.]+(?:(?:,|\sand|\sto|-)\s*[\d.]+)*"
    ),
    re.compile(r"(?<![\d,.])(?:19|20)\d\d(?![\d,.%])"),  # years
]


@dataclass(frozen=True)
class ProseNumber:
    """A number as a markdown cell writes it, with its cell and a little context."""

    cell: int
    text: str
    context: str

    @property
    def key(self) -> str:
        """One spelling: ``60{,}000`` and ``60 000`` are ``60,000``; ``98\\%`` is ``98%``."""
        return re.sub(r"\{,\}|\\,| (?=\d)", ",", self.text).replace("\\%", "%").replace(" ", "")

    @property
    def percent(self) -> bool:
        return self.key.endswith("%")

    @property
    def value(self) -> float:
        return float(self.key.rstrip("%").replace(",", ""))

    @property
    def decimals(self) -> int:
        digits = self.key.rstrip("%")
        return len(digits.split(".")[1]) if "." in digits else 0


def printed_numbers(notebook: nbformat.NotebookNode) -> list[float]:
    """Every number in the notebook's code: the sources and every text output."""
    found: list[float] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts = [cell.source]
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            for kind in ("text/plain", "text/markdown", "text/html"):
                texts.append(output.get("data", {}).get(kind, ""))
        for text in texts:
            text = re.sub(r"(?<=\d)[,_](?=\d{3})", "", text)  # 60,000 and 60_000 are 60000
            found.extend(float(match.group()) for match in PRINTED_NUMBER.finditer(text))
    return found


def prose_numbers(notebook: nbformat.NotebookNode) -> list[ProseNumber]:
    """The figures the markdown cells state, outside paragraphs labelled as reference figures."""
    numbers = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        for pattern in NOT_FIGURES:
            text = pattern.sub(" ", text)
        for paragraph in re.split(r"\n\s*\n", text):
            if REFERENCE_LABEL in paragraph.lower():
                continue
            for match in PROSE_NUMBER.finditer(paragraph):
                start, end = max(0, match.start() - 50), match.end() + 30
                context = " ".join(paragraph[start:end].split())
                number = ProseNumber(index, match.group(0).strip(), context)
                if number.decimals or number.percent or number.value >= 10:
                    numbers.append(number)
    return numbers


def is_printed(number: ProseNumber, printed: list[float]) -> bool:
    """Whether some printed number equals ``number`` at the precision the prose writes it (a
    percentage also matches the fraction: ``98%`` is a printed ``0.981``)."""
    tolerance = 0.5 * 10.0**-number.decimals + 1e-9
    scales = (1.0, 100.0) if number.percent else (1.0,)
    return any(abs(p * scale - number.value) <= tolerance for p in printed for scale in scales)


def unprinted_numbers(notebook: nbformat.NotebookNode) -> list[ProseNumber]:
    """The prose's figures that no cell of this run prints and no code spells out."""
    printed = printed_numbers(notebook)
    return [number for number in prose_numbers(notebook) if not is_printed(number, printed)]
