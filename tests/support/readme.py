"""The README's code blocks, so tests can run exactly what a reader copies."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def section(heading: str) -> str:
    """The text of the README section under ``## heading`` (up to the next ``## ``)."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, f"README has no section '## {heading}'"
    return match.group(1)


def code_blocks(heading: str, language: str = "python") -> list[str]:
    """The fenced code blocks of one language in a README section, in order."""
    blocks = [body for lang, body in _FENCE.findall(section(heading)) if lang == language]
    assert blocks, f"README section '## {heading}' has no {language} code block"
    return blocks
