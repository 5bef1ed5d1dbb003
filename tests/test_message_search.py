"""Search inside every message (``search=``): accents, AND across fields and messages, phrases,
visible text only, outside writes, excerpts with ``<mark>``, and the timeline at a message."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hosts import FIXED_NOW, reset_tables
from support.http import as_user, soup
from support.listing import LIST_URL, get_list, list_page, row, row_ids, start, tab_count
from support.sql import count_queries

from flask_aiconvos import excerpts, message_search, migration, queries, search_index
from flask_aiconvos.list_request import ListFilters
from flask_aiconvos.models import Conversation, Message
from flask_aiconvos.search_text import fold, search_words, word_alternatives

DETAILS = "/admin/ai-conversations/details/"


@pytest.fixture
def app_config():
    # "viewer" lacks the PII role ("admin" has it): excerpts are masked for the viewer only.
    return {"AICONVOS_TIMELINE_PAGE_SIZE": 4, "AICONVOS_PII_ROLE": "customers"}


def said(aiconvos, conversation, body, *, minutes=0, content_format="text", sender="customer"):
    return aiconvos.add_message(
        conversation.id,
        sender=sender,
        body=body,
        content_format=content_format,
        sent_at=FIXED_NOW - timedelta(minutes=60 - minutes),
    )


def hits(page, conversation_id):
    return row(page, conversation_id).select("[data-search-hit]")


# --- what matches -----------------------------------------------------------------------------


def test_a_later_message_is_found_and_shown_as_an_excerpt(client, aiconvos) -> None:
    # Use case 3: "they asked about a meeting room with a screen".
    conversation = start(aiconvos, subject="Booking enquiry")
    said(aiconvos, conversation, "Hello!", minutes=1)
    said(aiconvos, conversation, "Hi, how can I help?", minutes=2, sender="ai")
    asked = said(
        aiconvos,
        conversation,
        "Do you have a meeting room for 8 people with a big screen for Thursday?",
        minutes=3,
    )
    other = start(aiconvos, subject="Screen repair")  # one word only: not found

    page = list_page(client, search="screen meeting")

    assert row_ids(page) == [conversation.id]
    assert other.id not in row_ids(page)
    (hit,) = hits(page, conversation.id)
    assert hit["data-search-hit"] == str(asked.id)
    # The excerpt's link keeps the list's parameters, so the timeline leads on through the list.
    assert hit["href"] == f"{DETAILS}?id={conversation.id}&search=screen+meeting&message={asked.id}"
    assert [m.get_text() for m in hit.select("mark")] == ["meeting", "screen"]
    assert "Do you have a meeting room for 8 people" in hit.get_text()

    timeline = soup(client.get(hit["href"], headers=as_user("viewer")))
    (focused,) = timeline.select("[data-focused]")
    assert focused["data-message-id"] == str(asked.id)


@pytest.mark.parametrize(
    ("stored", "typed"),
    [("Chloé", "chloe"), ("Café crème", "cafe creme"), ("cafe", "CAFÉ"), ("Straße", "strasse")],
)
def test_case_and_accents_never_matter(client, aiconvos, stored, typed) -> None:
    in_message = start(aiconvos)
    said(aiconvos, in_message, "Hi")
    said(aiconvos, in_message, f"Ask {stored} about it", minutes=5)
    in_name = start(aiconvos, customer_name=f"{stored} Martin")

    assert sorted(row_ids(list_page(client, search=typed))) == sorted([in_message.id, in_name.id])


def test_words_are_anded_across_fields_and_messages(client, aiconvos) -> None:
    both = start(aiconvos, customer_name="Nadia Haddad")
    said(aiconvos, both, "Intro")
    said(aiconvos, both, "Is parking included?", minutes=3)
    across_messages = start(aiconvos)
    said(aiconvos, across_messages, "About parking")
    said(aiconvos, across_messages, "and for Nadia", minutes=2)
    only_one = start(aiconvos, customer_name="Nadia Other")

    page = list_page(client, search="nadia parking")

    assert sorted(row_ids(page)) == sorted([both.id, across_messages.id])
    assert only_one.id not in row_ids(page)
    assert tab_count(page, "all") == 2


def test_a_quoted_phrase_matches_those_words_in_that_order(client, aiconvos) -> None:
    phrase = start(aiconvos)
    said(aiconvos, phrase, "We need a meeting room tomorrow")
    reversed_ = start(aiconvos)
    said(aiconvos, reversed_, "The room for the meeting")
    split = start(aiconvos)
    said(aiconvos, split, "meeting")
    said(aiconvos, split, "room", minutes=1)

    assert row_ids(list_page(client, search='"meeting room"')) == [phrase.id]
    assert sorted(row_ids(list_page(client, search="meeting room"))) == sorted(
        [phrase.id, reversed_.id, split.id]
    )
    page = list_page(client, search='"Meeting   ROOM" tomorrow')
    assert row_ids(page) == [phrase.id]
    assert [m.get_text() for m in hits(page, phrase.id)[0].select("mark")] == [
        "meeting room",
        "tomorrow",
    ]


def test_only_the_visible_text_of_html_and_markdown_is_searched(client, aiconvos) -> None:
    html = start(aiconvos)
    said(
        aiconvos,
        html,
        '<div class="offer"><a href="https://example.com/x">Desk prices</a><script>var secret;'
        "</script><style>p{color:red}</style></div>",
        content_format="html",
    )
    markdown = start(aiconvos)
    said(
        aiconvos,
        markdown,
        "**Bold** offer, see [the plan](https://plans.test/)",
        content_format="markdown",
    )

    for markup in ("div", "href", "example.com", "secret", "color", "class", "plans.test", "**"):
        assert row_ids(list_page(client, search=markup)) == [], markup
    assert row_ids(list_page(client, search="desk prices")) == [html.id]
    assert row_ids(list_page(client, search='"bold offer"')) == [markdown.id]
    assert row_ids(list_page(client, search="the plan")) == [markdown.id]


def test_rows_written_by_other_means_are_found(client, aiconvos, db) -> None:
    conversation = start(aiconvos)
    with db.engine.begin() as connection:
        connection.execute(
            sa.insert(Message.__table__).values(
                conversation_id=conversation.id,
                sender="customer",
                content_format="text",
                body="Written straight into the table: Kilimanjaro",
                sent_at=FIXED_NOW - timedelta(minutes=5),
                rendered_html="",
            )
        )
    assert row_ids(list_page(client, search="kilimanjaro")) == [conversation.id]
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Message.__table__)
            .where(Message.conversation_id == conversation.id)
            .values(body="Now about Zanzibar")
        )
    assert row_ids(list_page(client, search="kilimanjaro")) == []
    assert row_ids(list_page(client, search="zanzibar")) == [conversation.id]
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Message.__table__)
            .where(Message.conversation_id == conversation.id)
            .values(search_text="folded by the host: reykjavik")
        )
    assert row_ids(list_page(client, search="zanzibar")) == []
    assert row_ids(list_page(client, search="reykjavík")) == [conversation.id]


def test_imported_messages_are_found(client, aiconvos) -> None:
    report = aiconvos.import_conversations(
        [
            {
                "channel": "email",
                "origin": "customer_reply",
                "messages": [
                    {"sender": "customer", "body": "Hello"},
                    {"sender": "customer", "body": "<p>About the <b>Müller</b> invoice</p>",
                     "content_format": "html"},
                ],
            }
        ]
    )  # fmt: skip
    assert report.ok
    page = list_page(client, search="muller invoice")
    assert len(row_ids(page)) == 1
    (hit,) = page.select("[data-search-hit]")
    assert [m.get_text() for m in hit.select("mark")] == ["Müller", "invoice"]


def test_erased_text_is_no_longer_found(client, aiconvos, db) -> None:
    conversation = start(aiconvos, customer_id="C-9")
    said(aiconvos, conversation, "My passport number is XK123456")
    assert row_ids(list_page(client, search="xk123456")) == [conversation.id]

    assert aiconvos.erase(customer_id="C-9") == 1

    assert row_ids(list_page(client, search="xk123456")) == []
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            left = connection.execute(
                sa.text(
                    f"SELECT rowid FROM {message_search.MESSAGE_FTS_TABLE} "
                    f'WHERE {message_search.MESSAGE_FTS_TABLE} MATCH \'"k12" AND "456"\''
                )
            ).all()
        assert left == []


# --- excerpts ---------------------------------------------------------------------------------


def test_the_best_message_holds_the_most_words_and_ties_go_to_the_earliest(
    client, aiconvos
) -> None:
    conversation = start(aiconvos, subject="Enquiry")
    said(aiconvos, conversation, "Is there parking?", minutes=1)
    best = said(aiconvos, conversation, "Parking and a locker, please", minutes=2)
    said(aiconvos, conversation, "Parking and a locker again", minutes=3)
    said(aiconvos, conversation, "locker only", minutes=4)

    page = list_page(client, search="locker parking")
    (hit,) = hits(page, conversation.id)
    assert hit["data-search-hit"] == str(best.id)

    tie = list_page(client, search="parking")
    assert hits(tie, conversation.id)[0]["data-search-hit"] == str(
        best.id - 1
    )  # the earliest of the three holding it


def test_a_row_found_through_its_fields_alone_shows_no_excerpt(client, aiconvos) -> None:
    conversation = start(aiconvos, customer_name="Priya Raman")
    said(aiconvos, conversation, "A desk for Monday")

    page = list_page(client, search="priya")

    assert row_ids(page) == [conversation.id]
    assert hits(page, conversation.id) == []
    assert list_page(client).select("[data-search-hit]") == []


def test_excerpt_windows_a_long_message_around_the_first_hit() -> None:
    text = " ".join(f"word{n}" for n in range(200)) + " Target here " + "tail " * 100
    html = str(excerpts.excerpt_html(text, ["target"]))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>Target</mark>" in html
    assert len(html) < excerpts.EXCERPT_CHARS + 40
    short = excerpts.excerpt_html("Café & <b>crème</b>", ["creme", "cafe"])
    assert str(short) == "<mark>Café</mark> &amp; &lt;b&gt;<mark>crème</mark>&lt;/b&gt;"


@pytest.mark.parametrize(
    ("text", "terms", "marked"),
    [
        ("ﬁne ﬁsh", ["fi"], ["ﬁ", "ﬁ"]),
        ("Straße", ["ss"], ["ß"]),
        ("aaa", ["aa"], ["aaa"]),
        ("e\u0301te\u0301", ["ete"], ["e\u0301te\u0301"]),
        ("100% off", ["%"], ["%"]),
    ],
)
def test_hits_map_back_to_the_characters_shown(text, terms, marked) -> None:
    assert [text[a:b] for a, b in excerpts.hit_spans(text, terms)] == marked


def test_the_excerpts_cost_one_query_whatever_the_page_size(client, aiconvos, db) -> None:
    def statements(count: int) -> int:
        for n in range(count):
            conversation = start(aiconvos, started_at=FIXED_NOW - timedelta(hours=2, minutes=n))
            said(aiconvos, conversation, f"Is the projector working? ({n})")
        with count_queries(db.engine) as seen:
            page = list_page(client, search="projector")
        assert len(hits_of(page)) == len(row_ids(page))
        return len(seen), sum("row_number()" in s.lower() and "aiconvos_message" in s for s in seen)

    def hits_of(page):
        return page.select("[data-search-hit]")

    few, few_excerpt = statements(2)
    many, many_excerpt = statements(20)
    assert few == many
    assert few_excerpt == many_excerpt == 1


def test_excerpts_are_masked_without_the_pii_role(client, aiconvos) -> None:
    conversation = start(aiconvos)
    said(aiconvos, conversation, "Hello")
    said(aiconvos, conversation, "Call me about the sauna on +44 7700 900123", minutes=2)

    masked = list_page(client, "viewer", search="sauna")
    (hit,) = hits(masked, conversation.id)
    assert "900123" not in str(masked) and "0123" in hit.get_text()
    assert [m.get_text() for m in hit.select("mark")] == ["sauna"]
    shown = list_page(client, "admin", search="sauna")
    assert "+44 7700 900123" in hits(shown, conversation.id)[0].get_text()
    # Searching by the full number still finds it (the search runs on the stored text).
    assert row_ids(list_page(client, "viewer", search='"+44 7700 900123"')) == [conversation.id]


# --- the timeline at a message ----------------------------------------------------------------


def test_the_timeline_opens_on_the_page_holding_the_message(client, aiconvos) -> None:
    conversation = start(aiconvos)
    ids = [said(aiconvos, conversation, f"message {n}", minutes=n).id for n in range(11)]
    # Pages of 4 from the newest: [7..10], [3..6], [0..2].
    for index in (0, 2, 3, 6, 7, 10):
        page = soup(
            client.get(
                DETAILS,
                query_string={"id": conversation.id, "message": ids[index]},
                headers=as_user("viewer"),
            )
        )
        shown = [int(li["data-message-id"]) for li in page.select("[data-message-id]")]
        assert ids[index] in shown
        assert len(shown) == (3 if index < 3 else 4)
        (focused,) = page.select("[data-focused]")
        assert focused["data-message-id"] == str(ids[index])
        assert page.find("script", string=lambda s: s and "scrollIntoView" in s) is not None


def test_a_message_of_another_conversation_opens_the_newest_page(client, aiconvos) -> None:
    conversation = start(aiconvos)
    said(aiconvos, conversation, "mine")
    other = start(aiconvos)
    theirs = said(aiconvos, other, "theirs")
    response = client.get(
        DETAILS,
        query_string={"id": conversation.id, "message": theirs.id},
        headers=as_user("viewer"),
    )
    assert response.status_code == 200
    page = soup(response)
    assert page.select("[data-focused]") == []
    assert "theirs" not in page.get_text()


@pytest.mark.parametrize(
    "value", ["", "abc", "-1", "0", "1.5", str(2**63), "9" * 400, "١٢", " 1", "1e3", "%00"]
)
def test_a_malformed_message_parameter_answers_400(client, aiconvos, value) -> None:
    conversation = start(aiconvos)
    response = client.get(
        DETAILS, query_string={"id": conversation.id, "message": value}, headers=as_user("viewer")
    )
    assert response.status_code == 400


# --- hostile input and a model of the rule ----------------------------------------------------

HOSTILE = st.text(
    alphabet=st.sampled_from(list("abcÉéeß\"%_\\ '*()^:-+ﬁ\u0301<>&ΣσςİiXY")), max_size=12
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(search=HOSTILE)
def test_malformed_searches_never_fail(client, aiconvos, search) -> None:
    assert get_list(client, search=search).status_code == 200


BODY = st.text(alphabet=st.sampled_from(list("abcé ß%_\\\"'<>&Σς\u0301X")), max_size=14)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(
        st.tuples(st.one_of(st.none(), BODY), st.lists(BODY, max_size=3)), min_size=1, max_size=4
    ),
    search=HOSTILE,
)
def test_search_finds_what_a_brute_force_model_finds(client, aiconvos, db, data, search) -> None:
    with db.engine.begin() as connection:
        for model in (Message, Conversation):
            connection.execute(sa.delete(model.__table__))
    created = []
    for n, (name, bodies) in enumerate(data):
        conversation = start(
            aiconvos, customer_name=name, started_at=FIXED_NOW - timedelta(hours=2, minutes=n)
        )
        for k, body in enumerate(bodies):
            if body.strip():
                said(aiconvos, conversation, body, minutes=k)
        created.append((conversation.id, name, [b for b in bodies if b.strip()]))
    db.session.remove()

    response = get_list(client, search=search)
    assert response.status_code == 200
    page = soup(response)
    terms = search_words(" ".join(search.split()))

    def holds(text: str | None, term: str) -> bool:
        folded = " ".join(fold(text or "").split())
        return any(option in folded for option in word_alternatives(term))

    expected = {
        cid
        for cid, name, bodies in created
        if all(holds(name, t) or any(holds(b, t) for b in bodies) for t in terms)
    }
    assert set(row_ids(page)) == expected, (search, terms)
    for hit in page.select("[data-search-hit]"):
        assert hit.select("script, b, img") == []


MULTI_WORD_SEARCHES = [
    "screen meeting",
    "meeting screen",
    '"meeting room" screen',
    "parking desk",
    "wiśniewski parking",
    "room xx",
    "desk nowhere",
]


@pytest.mark.parametrize("search", MULTI_WORD_SEARCHES)
def test_later_words_are_found_alike_looked_up_or_checked(
    aiconvos, db, monkeypatch, search
) -> None:
    """A search's later words are checked in the conversations holding the first ones while
    those are fewer than ``CHECK_BELOW``, else looked up in the index: both find the same."""
    texts = [
        ("Chloé Wiśniewski", ["Is the meeting room free?", "Does it have a screen?"]),
        ("Ana Müller", ["A screen for the meeting, please", "and parking"]),
        (None, ["parking at the desk"]),
        ("Wisniewski", ["hot desk", "meeting"]),
        ("Ola", ["the meeting room has a big screen"]),
    ]
    for n, (name, bodies) in enumerate(texts):
        conversation = start(aiconvos, customer_name=name, started_at=FIXED_NOW - timedelta(days=n))
        for k, body in enumerate(bodies):
            said(aiconvos, conversation, body, minutes=k)
    filters = ListFilters(search=search)
    checked = queries.search_matches(db.session, filters)
    db.session.rollback()  # forgets the matches
    monkeypatch.setattr(queries, "CHECK_BELOW", 0)
    looked_up = queries.search_matches(db.session, filters)
    assert checked == looked_up
    if search in ("screen meeting", "meeting screen"):
        assert len(checked) == 3


# --- the migration ----------------------------------------------------------------------------


def test_migration_0006_indexes_existing_messages_and_goes_back(app, aiconvos, db, caplog) -> None:
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("0005", engine=engine)
    moment = FIXED_NOW.replace(tzinfo=None)
    with engine.begin() as connection:  # a conversation as revision 0005 stored it
        conversation_id = connection.execute(
            sa.text(
                "INSERT INTO aiconvos_conversation (channel, origin, customer_name, started_at, "
                "last_activity_at, search_text) "
                "VALUES ('chat', 'portal_chat', 'Zoë', :at, :at, 'zoë') RETURNING id"
            ),
            {"at": moment},
        ).scalar_one()
    with engine.begin() as connection:  # messages as 0.1 stored them
        for n, (body, fmt) in enumerate(
            [("Hi", "text"), ("<p>A <b>café</b> near the desk?</p>", "html")]
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO aiconvos_message (conversation_id, sender, content_format, body, "
                    "sent_at, rendered_html, render_version) "
                    "VALUES (:id, 'customer', :fmt, :body, :at, '', 0)"
                ),
                {"id": conversation_id, "fmt": fmt, "body": body,
                 "at": (FIXED_NOW + timedelta(minutes=n)).replace(tzinfo=None)},
            )  # fmt: skip

    with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
        migration.upgrade("head", engine=engine)
    progress = [r.getMessage() for r in caplog.records if "aiconvos 0006" in r.getMessage()]
    assert "aiconvos 0006: messages search text 2/2" in progress
    assert "aiconvos 0006: conversations search text 1/1" in progress

    client = app.test_client()
    assert row_ids(list_page(client, search="cafe zoe")) == [conversation_id]
    assert row_ids(list_page(client, search="b")) == []  # the markup is not indexed
    with engine.connect() as connection:
        stored = connection.execute(sa.select(Conversation.search_text)).scalar_one()
    assert stored == "zoe"

    migration.downgrade("0005", engine=engine)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("aiconvos_message")}
        assert "search_text" not in columns
        assert (
            connection.execute(
                sa.text("SELECT search_text FROM aiconvos_conversation")
            ).scalar_one()
            == "zoë"
        )
        if engine.dialect.name == "sqlite":
            names = {r[0] for r in connection.execute(sa.text("SELECT name FROM sqlite_master"))}
            assert message_search.MESSAGE_FTS_TABLE not in names
            assert search_index.FTS_TABLE in names
    migration.upgrade("head", engine=engine)
    assert row_ids(list_page(client, search="café")) == [conversation_id]


def test_the_message_index_is_used_on_sqlite(client, aiconvos, db) -> None:
    conversation = start(aiconvos)
    said(aiconvos, conversation, "Projector please")
    with count_queries(db.engine) as seen:
        assert row_ids(list_page(client, search="projector")) == [conversation.id]
    uses = [s for s in seen if message_search.MESSAGE_FTS_TABLE in s]
    assert bool(uses) == (db.engine.dialect.name == "sqlite")
    assert LIST_URL


def test_found_matches_are_reused_until_the_session_writes(aiconvos, db) -> None:
    session = db.session
    filters = ListFilters(search="hammock")
    conversation = start(aiconvos)
    assert queries.search_matches(session, filters) == ()
    with count_queries(db.engine) as seen:
        assert queries.search_matches(session, filters) == ()
    assert seen == []
    said(aiconvos, conversation, "Is there a hammock on the roof?")  # commits
    assert queries.search_matches(session, filters) == (conversation.id,)
