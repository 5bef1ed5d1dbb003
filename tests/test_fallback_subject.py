"""Without a subject, a row shows the opening message on one line, skipping a bare greeting."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW
from support.http import as_user, soup
from support.listing import list_page, row, start

from flask_aiconvos import Conversation, subjects

DETAILS = "/admin/ai-conversations/details/"
ROOM = (
    "Can I book a meeting room at Canal Works for Thursday 3 December? We're 8 and need a screen."
)


def opened_with(aiconvos, body: str, content_format: str = "text", **fields):
    conversation = start(aiconvos, **fields)
    aiconvos.add_message(
        conversation.id,
        sender="customer",
        body=body,
        content_format=content_format,
        sent_at=FIXED_NOW - timedelta(minutes=5),
    )
    return conversation


def shown_subject(client, conversation_id: int, user: str = "viewer"):
    cell = row(list_page(client, user), conversation_id).select_one("td.col-subject a")
    assert cell is not None
    return cell


@pytest.mark.parametrize(
    ("body", "content_format"),
    [
        (f"Hello,\n\n{ROOM}", "text"),
        (f"Hi!\n{ROOM}", "text"),
        (f"Dear Canal Works team,\n{ROOM}", "text"),
        (f"<p>Hello,</p><p>{ROOM.replace('&', '&amp;')}</p>", "html"),
        (f"Good morning!\n\n{ROOM}", "markdown"),
    ],
)
def test_a_bare_greeting_line_is_skipped_when_more_follows(client, aiconvos, body, content_format):
    conversation = opened_with(aiconvos, body, content_format)
    link = shown_subject(client, conversation.id)
    assert link.get_text() == ROOM
    assert "aiconvos-fallback-title" in link["class"]
    assert link["title"] == ROOM


def test_the_opening_message_runs_on_one_line_up_to_about_120_characters(client, aiconvos):
    lines = [
        "We are a team of twelve moving out of our office at the end of January,",
        "and we would like to see private offices for 10 to 14 people near the station.",
        "Parking for three cars would help, and so would a kitchen we can use all day.",
    ]
    conversation = opened_with(aiconvos, "Hi there,\n" + "\n".join(lines))
    text = shown_subject(client, conversation.id).get_text()
    assert "\n" not in text and "Hi there" not in text
    assert text.startswith(lines[0] + " and we would")  # the lines are joined, not cut at one
    assert text.endswith("…") and 100 <= len(text) <= subjects.DISPLAY_LIMIT
    assert (" ".join(lines)).startswith(text[:-1])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hello,", "Hello,"),  # nothing follows: the greeting is all there is
        ("Hi!\n\n", "Hi!"),
        ("Hi, what are your prices for desks?", "Hi, what are your prices for desks?"),
        ("Hello! I need a room for 6 tomorrow.", "Hello! I need a room for 6 tomorrow."),
        ("Hi Sam, can you\nsend the invoice?", "Hi Sam, can you send the invoice?"),
    ],
)
def test_greetings_that_say_more_are_kept(client, aiconvos, body, expected):
    conversation = opened_with(aiconvos, body)
    assert shown_subject(client, conversation.id).get_text() == expected


def test_a_subject_wins_and_the_timeline_heading_matches_the_row(client, aiconvos):
    with_subject = opened_with(aiconvos, f"Hello,\n{ROOM}", subject="Meeting room")
    link = shown_subject(client, with_subject.id)
    assert link.get_text() == "Meeting room" and "aiconvos-fallback-title" not in link.get(
        "class", []
    )
    without = opened_with(aiconvos, f"Hello,\n{ROOM}")
    page = soup(client.get(DETAILS, query_string={"id": without.id}, headers=as_user("viewer")))
    assert page.select_one(".aiconvos-context h1").get_text(strip=True) == ROOM


def test_previews_stored_by_earlier_versions_still_show_well(client, aiconvos, db):
    """Earlier versions stored the first line whole (up to 300 characters): the row cuts it to
    one line of about 120 without any migration, and an old bare greeting still shows."""
    long_line = conversation_with_preview(aiconvos, db, "Sentence number one. " * 14)
    greeting = conversation_with_preview(aiconvos, db, "Hello,")
    text = shown_subject(client, long_line.id).get_text()
    assert text.endswith("…") and len(text) <= subjects.DISPLAY_LIMIT
    assert shown_subject(client, greeting.id).get_text() == "Hello,"


def conversation_with_preview(aiconvos, db, preview: str):
    conversation = opened_with(aiconvos, "placeholder")
    db.session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(first_message_preview=preview)
    )
    db.session.commit()
    return conversation


def test_imported_conversations_get_the_same_subject(client, aiconvos):
    report = aiconvos.import_conversations(
        [
            {
                "external_id": "thread-1",
                "channel": "email",
                "origin": "customer_reply",
                "started_at": (FIXED_NOW - timedelta(hours=1)).isoformat(),
                "messages": [
                    {
                        "sender": "customer",
                        "body": f"Hello,\n\n{ROOM}",
                        "sent_at": (FIXED_NOW - timedelta(minutes=50)).isoformat(),
                    }
                ],
            }
        ]
    )
    assert report.errors == [] and report.conversations == 1
    page = list_page(client)
    (tr,) = page.select("tr[data-conversation-id]")
    assert tr.select_one("td.col-subject a").get_text() == ROOM


@pytest.mark.parametrize(
    ("line", "greeting"),
    [
        ("Hello,", True),
        ("Hi!", True),
        ("Hey there!", True),
        ("Dear Maya,", True),
        ("Good afternoon,", True),
        ("Bonjour Chloé,", True),
        ("Hi, what are your prices?", False),
        ("Hello! I need a desk for March.", False),
        ("Thanks,", False),
        ("Hello " + "x" * 50, False),
    ],
)
def test_what_counts_as_a_bare_greeting(line: str, greeting: bool) -> None:
    assert subjects.is_greeting(line) is greeting
