"""Quoted history in replies folds into ``<details data-quoted>``; long messages behind "Show
more". Real-world shaped replies (``tests/data/mail``) through both engines and every format."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from flask_aiconvos import rendering

MAIL = Path(__file__).parent / "data" / "mail"
ENGINES = [pytest.param("nh3", id="nh3"), pytest.param("bleach", id="bleach")]

#: file, format, the text that stays visible, the text that is folded away
REPLIES = [
    pytest.param(
        "gmail_reply.html",
        "html",
        "Yes, Thursday at 10:00 works for the tour.",
        "Would Thursday at 10:00 or 14:30 suit you for a tour?",
        id="gmail",
    ),
    pytest.param(
        "outlook_web_reply.html",
        "html",
        "Thanks, please book the Harbour room for Friday.",
        "the Harbour room seats eight and has a screen.",
        id="outlook-web",
    ),
    pytest.param(
        "outlook_desktop_reply.html",
        "html",
        "Fine by me, see you at 14:30.",
        "would 14:30 on Thursday suit you?",
        id="outlook-desktop",
    ),
    pytest.param(
        "apple_mail_reply.html",
        "html",
        "Sounds good, I will bring my laptop.",
        "your day pass for Tuesday is confirmed.",
        id="apple-mail",
    ),
    pytest.param(
        "text_reply.txt",
        "text",
        "Yes please, 10:00 is perfect.",
        "Would 10:00 or 14:30 suit you?",
        id="text",
    ),
    pytest.param(
        "markdown_reply.md",
        "markdown",
        "Yes: the Harbour room seats eight.",
        "Do you have a meeting room with a screen?",
        id="markdown",
    ),
]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text_outside_folds(doc: BeautifulSoup) -> str:
    copy = soup(str(doc))
    for details in copy.find_all("details"):
        details.decompose()
    return " ".join(copy.get_text(" ").split())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("name", "content_format", "visible", "quoted"), REPLIES)
def test_quoted_history_folds_and_the_reply_stays_visible(
    name: str, content_format: str, visible: str, quoted: str, engine: str
) -> None:
    body = (MAIL / name).read_text(encoding="utf-8")
    doc = soup(rendering.render_body(body, content_format, engine=engine))
    folds = doc.find_all("details", attrs={"data-quoted": True})
    assert len(folds) == 1, "one fold for the whole quoted history"
    fold = folds[0]
    assert fold.find("summary").get_text() == rendering.QUOTED_SUMMARY
    assert fold.find("blockquote", attrs={"type": "cite"}) is not None
    assert quoted in " ".join(fold.get_text(" ").split())
    assert visible in text_outside_folds(doc)
    assert quoted not in text_outside_folds(doc)
    assert not doc.find_all(attrs={"class": True}) and not doc.find_all(attrs={"id": True})


@pytest.mark.parametrize(("name", "content_format", "visible", "quoted"), REPLIES)
def test_both_engines_fold_the_same_way(
    name: str, content_format: str, visible: str, quoted: str
) -> None:
    body = (MAIL / name).read_text(encoding="utf-8")

    def shape(engine: str) -> list[tuple[str, str]]:
        doc = soup(rendering.render_body(body, content_format, engine=engine))
        return [
            (fold.name, " ".join(fold.get_text(" ").split())) for fold in doc.find_all("details")
        ]

    assert shape("nh3") == shape("bleach")


@pytest.mark.parametrize(("name", "content_format", "visible", "quoted"), REPLIES)
def test_folding_keeps_the_text_searchable_and_out_of_the_preview(
    name: str, content_format: str, visible: str, quoted: str
) -> None:
    body = (MAIL / name).read_text(encoding="utf-8")
    searchable = rendering.searchable_text(body, content_format)
    assert quoted in searchable and rendering.QUOTED_SUMMARY not in searchable
    preview = rendering.preview_text(body, content_format)
    assert preview and rendering.QUOTED_SUMMARY not in preview and quoted not in preview


@pytest.mark.parametrize("engine", ENGINES)
def test_the_reply_header_of_a_message_that_is_only_a_forward_is_not_folded(engine: str) -> None:
    body = "<p><b>From:</b> Harbour Works<br><b>Sent:</b> Monday</p><p>Your invoice.</p>"
    doc = soup(rendering.render_body(body, "html", engine=engine))
    assert doc.find("details") is None
    assert "Your invoice." in doc.get_text()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "body",
    [
        '<details data-quoted open ontoggle="alert(1)"><summary>x</summary>y</details>',
        '<div class="gmail_quote" onclick="alert(1)"><script>alert(1)</script>q</div>',
        '<div id="divRplyFwdMsg"><img src=x onerror=alert(1)></div>',
        '<blockquote type="cite" cite="javascript:alert(1)">q</blockquote>',
        '<blockquote type="text/javascript">q</blockquote>',
    ],
)
def test_folds_come_only_from_the_policy(body: str, engine: str) -> None:
    doc = soup(rendering.render_body("<p>reply</p>" + body, "html", engine=engine))
    for tag in doc.find_all(True):
        assert not any(attr.startswith("on") for attr in tag.attrs)
        assert set(tag.attrs) <= {"data-quoted", "data-more", "type", "src", "alt"}
        if tag.name == "details":
            assert (
                tag.find("summary").get_text()
                in (
                    rendering.QUOTED_SUMMARY,
                    rendering.SHOW_MORE_SUMMARY,
                )
                or not tag.attrs
            )
        if tag.has_attr("type"):
            assert tag.name == "blockquote" and tag["type"] == "cite"
    content_details = [d for d in doc.find_all("details") if not d.attrs]
    assert all(d.find("summary").get_text() == "x" for d in content_details)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("content_format", ["text", "markdown", "html"])
def test_a_long_message_folds_behind_show_more_and_loses_nothing(
    content_format: str, engine: str
) -> None:
    lines = [f"Line {number} of the house rules." for number in range(1, 61)]
    if content_format == "html":
        body = "<div>" + "".join(f"<p>{line}</p>" for line in lines) + "</div>"
    else:
        body = "\n".join(lines)
    doc = soup(rendering.render_body(body, content_format, engine=engine))
    more = doc.find_all("details", attrs={"data-more": True})
    assert len(more) == 1
    assert more[0].find("summary").get_text() == rendering.SHOW_MORE_SUMMARY
    visible = text_outside_folds(doc)
    assert "Line 1 of" in visible and "Line 30 of" in visible and "Line 31 of" not in visible
    folded = more[0].get_text(" ")
    assert "Line 31 of" in folded and "Line 60 of" in folded
    words = " ".join(doc.get_text(" ").replace(rendering.SHOW_MORE_SUMMARY, " ").split())
    assert words == " ".join(lines)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_message_of_forty_lines_does_not_fold(engine: str) -> None:
    body = "\n".join(f"Line {number}" for number in range(rendering.LONG_MESSAGE_LINES))
    assert soup(rendering.render_body(body, "text", engine=engine)).find("details") is None


def test_deeply_nested_quotes_fold_once_in_linear_work() -> None:
    body = '<div class="gmail_quote">q' * 300 + "</div>" * 300
    doc = soup(rendering.render_body("<p>reply</p>" + body, "html"))
    assert len(doc.find_all("details", attrs={"data-quoted": True})) == 1


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.sampled_from(["> quoted", ">", "", "reply", "On Mon, Bot wrote:", ">> deeper", " > x"]),
        max_size=60,
    )
)
def test_any_text_with_quote_lines_keeps_every_word(lines: list[str]) -> None:
    body = "\n".join(lines)
    doc = soup(rendering.render_body(body, "text"))
    for label in (rendering.QUOTED_SUMMARY, rendering.SHOW_MORE_SUMMARY):
        for summary in doc.find_all("summary"):
            if summary.get_text() == label:
                summary.decompose()
    expected = [word for line in lines for word in line.replace(">", " ").split()]
    assert doc.get_text(" ").replace(">", " ").split() == expected
