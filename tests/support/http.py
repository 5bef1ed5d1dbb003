"""Requests as a test user, and their pages parsed."""

from __future__ import annotations

from bs4 import BeautifulSoup


def as_user(name: str | None) -> dict[str, str]:
    """Request headers that authenticate as one of the test USERS (None: anonymous)."""
    return {"X-Test-User": name} if name else {}


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def flat_text(element) -> str:
    """An element's text with its whitespace collapsed to single spaces."""
    return " ".join(element.get_text(" ", strip=True).split())


def accessible_text(element) -> str:
    """An element's text as a screen reader names it: ``aria-hidden`` parts left out, spaces
    collapsed."""
    parts = []
    for text in element.find_all(string=True):
        if any(parent.get("aria-hidden") == "true" for parent in text.parents if parent.name):
            continue
        parts.append(str(text))
    return " ".join("".join(parts).split())
