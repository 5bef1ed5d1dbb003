"""Outcome filters: ``outcome=`` narrows the list, its metrics, tabs and channel comparison
exactly, every link keeps the filters (metric links and the Escalated header replace them), and
every write that changes an outcome moves the conversation's counts.

The brute-force test records randomly through the public API, then compares every combination
of one or two outcomes × tab × date range × tenant with a count in Python over the stored rows
(outcomes read from the conversions, tickets and inbox items themselves, not the stored mask).
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.hosts import FIXED_NOW, tenant_of_current_user
from support.http import as_user, soup
from support.listing import LIST_URL, get_list, list_page, metrics, query_of, row_ids, start
from support.records import counter_rows, rebuilt_counter_rows
from support.sql import count_queries
from support.writers import run_writers
from werkzeug.datastructures import MultiDict

from flask_aiconvos import AIConversations, outcomes, queries
from flask_aiconvos.list_request import (
    BadListArgument,
    ListRequest,
    parse_list_args,
    with_query,
)
from flask_aiconvos.models import Conversation, Conversion, EscalationTicket, InboxItem
from flask_aiconvos.vocab import METRIC_KEYS, ConversionKind, Outcome, values

OUTCOMES = values(Outcome)
KINDS = values(ConversionKind)
TENANTS = (None, "a", "b")
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def app_config() -> dict:
    return {"AICONVOS_PAGE_SIZE": 3, "scope": tenant_of_current_user}


def parsed(query: str):
    args = MultiDict(parse_qsl(query, keep_blank_values=True))
    return parse_list_args(args, timezone="UTC", now=FIXED_NOW, tenant=None)


# --- parsing ----------------------------------------------------------------------------------


def test_repeated_values_combine_once_each_in_canonical_order() -> None:
    assert parsed("outcome=tour&outcome=escalated&outcome=tour").outcomes == ("escalated", "tour")
    assert parsed("outcome=&outcome=booking&outcome=").outcomes == ("booking",)
    assert parsed("outcome=").outcomes == ()
    assert parsed("").outcomes == ()


@pytest.mark.parametrize(
    "value", ["Escalated", "TOUR", " tour", "tour ", "day-pass", "pending", "all", "tour,booking"]
)
def test_anything_but_a_value_as_written_is_refused(client, value: str) -> None:
    with pytest.raises(BadListArgument):
        parsed(f"outcome=tour&outcome={value}")
    response = client.get(LIST_URL, query_string={"outcome": value}, headers=as_user("viewer"))
    assert response.status_code == 400
    assert "outcome" in response.get_data(as_text=True)
    metrics_url = LIST_URL + "metrics.json"
    answer = client.get(metrics_url, query_string={"outcome": value}, headers=as_user("viewer"))
    assert answer.status_code == 400
    export = client.get(
        LIST_URL + "export.csv", query_string={"outcome": value}, headers=as_user("exporter")
    )
    assert export.status_code == 400


@EXAMPLES
@given(
    values_=st.lists(
        st.one_of(
            st.sampled_from([*OUTCOMES, ""]),
            st.text(max_size=30),
            st.text(alphabet="&=%+,;_ ", max_size=40),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
            st.just("9" * 5000),
        ),
        max_size=6,
    )
)
@example(values_=["\x00"])
@example(values_=["tour", "\ud800"])
@example(values_=["escalated" * 1000])
def test_any_outcome_query_answers_200_or_400(client, values_: list[str]) -> None:
    # Encoded by hand: a lone surrogate arrives as the bytes a careless client would send.
    query = "&".join("outcome=" + quote(v.encode("utf-8", "surrogatepass")) for v in values_)
    response = client.get(LIST_URL, query_string=query, headers=as_user("viewer"))
    known = all(value in OUTCOMES or value == "" for value in values_)
    assert response.status_code == (200 if known else 400)


# --- rows, metrics and tabs -------------------------------------------------------------------


def seed_outcomes(aiconvos: AIConversations) -> dict[str, int]:
    """One conversation per shape of outcomes; their ids by name."""
    ids: dict[str, int] = {}
    ids["plain"] = start(aiconvos, customer_id="C-1").id
    ids["anonymous"] = start(aiconvos, channel="email").id
    escalated = start(aiconvos, customer_id="C-2", channel="whatsapp")
    aiconvos.escalate(escalated.id, ticket_id="T-1", subject="Call back")
    aiconvos.escalate(escalated.id, ticket_id="T-2", subject="Call back again")
    ids["escalated"] = escalated.id
    toured = start(aiconvos)
    aiconvos.record_conversion(toured.id, kind="tour", target_id="V-1")
    aiconvos.record_conversion(toured.id, kind="booking", target_id="B-1")
    aiconvos.escalate(toured.id, ticket_id="T-3", subject="Help")
    ids["tour_booking_escalated"] = toured.id
    pending = start(aiconvos, customer_id="C-3")
    aiconvos.link_inbox_item(pending.id, item_id="I-1", status="pending")
    aiconvos.link_inbox_item(pending.id, item_id="I-2", status="approved")
    ids["pending"] = pending.id
    settled = start(aiconvos, customer_id="C-4")
    aiconvos.link_inbox_item(settled.id, item_id="I-3", status="pending")
    aiconvos.link_inbox_item(settled.id, item_id="I-3", status="approved")
    aiconvos.record_conversion(settled.id, kind="day_pass", target_id="D-1")
    ids["settled"] = settled.id
    return ids


def every_row(client, **params) -> set[int]:
    found: set[int] = set()
    for page in range(20):
        ids = row_ids(list_page(client, page=page, **params))
        if not ids:
            return found
        found.update(ids)
    raise AssertionError("more pages than seeded")


def test_each_outcome_selects_exactly_its_conversations(client, aiconvos) -> None:
    ids = seed_outcomes(aiconvos)
    expected = {
        "escalated": {"escalated", "tour_booking_escalated"},
        "tour": {"tour_booking_escalated"},
        "customer": set(),
        "contract": set(),
        "booking": {"tour_booking_escalated"},
        "day_pass": {"settled"},
        "converted": {"tour_booking_escalated", "settled"},
        "unconverted": {"plain", "anonymous", "escalated", "pending"},
        "inbox_pending": {"pending"},
        "anonymous": {"anonymous", "tour_booking_escalated"},
    }
    assert set(expected) == set(OUTCOMES)
    for outcome, names in expected.items():
        wanted = {ids[name] for name in names}
        assert every_row(client, outcome=outcome) == wanted, outcome
        page = list_page(client, outcome=outcome)
        assert metrics(page)["total"] == (len(wanted), None)
    both = list_page(client, outcome=["escalated", "anonymous"])
    assert set(row_ids(both)) == {ids["tour_booking_escalated"]}
    assert metrics(both)["bookings"] == (1, 100.0)
    assert metrics(both)["tours"] == (1, 100.0)
    contradiction = list_page(client, outcome=["converted", "unconverted"])
    assert row_ids(contradiction) == []
    assert contradiction.select_one("#aiconvos-empty")["data-empty"] == "filtered"


def test_tabs_and_the_channel_comparison_follow_the_filters(client, aiconvos) -> None:
    seed_outcomes(aiconvos)
    page = list_page(client, outcome="escalated")
    tabs = {
        a["data-channel-tab"]: int(a.select_one(".badge").get_text(strip=True))
        for a in page.select("[data-channel-tab]")
    }
    assert tabs["all"] == 2 and tabs["whatsapp"] == 1 and tabs["chat"] == 1 and tabs["email"] == 0
    compared = {
        tr["data-comparison-channel"]: int(
            tr.select_one("[data-conversations]")["data-conversations"]
        )
        for tr in page.select("[data-comparison-channel]")
    }
    assert compared == {"chat": 1, "whatsapp": 1, "all": 2}
    on_tab = list_page(client, outcome="escalated", channel="whatsapp")
    assert metrics(on_tab)["total"] == (1, None)


def test_metrics_json_and_the_export_follow_the_filters(client, aiconvos) -> None:
    ids = seed_outcomes(aiconvos)
    answer = client.get(
        LIST_URL + "metrics.json",
        query_string=[("outcome", "escalated"), ("outcome", "tour")],
        headers=as_user("viewer"),
    ).get_json()
    assert answer["total"] == 1
    assert answer["outcome"] == ["escalated", "tour"]
    assert answer["metrics"]["bookings"]["count"] == 1
    response = client.get(
        LIST_URL + "export.csv",
        query_string={"outcome": "unconverted"},
        headers=as_user("exporter"),
    )
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    exported = {int(row["id"]) for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert exported == {ids[n] for n in ("plain", "anonymous", "escalated", "pending")}
    assert "unconverted" in response.headers["Content-Disposition"]


# --- links ------------------------------------------------------------------------------------


def test_every_link_keeps_the_filters_and_metric_links_replace_them(client, aiconvos) -> None:
    seed_outcomes(aiconvos)
    for _ in range(4):
        conversation = start(aiconvos, channel="email", subject="desk again")
        aiconvos.escalate(conversation.id, ticket_id="T", subject="Help")
    params = {
        "channel": "email",
        "search": "desk",
        "range": "7d",
        "outcome": ["anonymous", "escalated"],
        "sort": "4",
    }
    page = list_page(client, **params)
    assert len(row_ids(page)) == 3  # a second page exists

    kept = {"channel": ["email"], "search": ["desk"], "range": ["7d"]}
    for link in page.select(
        "[data-channel-tab], .pagination a, th a[title^='Sort'], th a[title^='Show']"
    ):
        query = query_of(link["href"])
        if link.has_attr("data-outcome-header"):
            continue
        assert query["outcome"] == ["escalated", "anonymous"], link
    pager = [a for a in page.select(".pagination a") if "page=1" in a["href"]]
    assert pager and query_of(pager[0]["href"])["channel"] == ["email"]

    for element in page.select("[data-metric]"):
        link = element.select_one("a[data-metric-link]")
        assert link is not None, element["data-metric"]
        query = query_of(link["href"])
        assert {key: query.get(key) for key in kept} == kept
        assert "page" not in query
        key = element["data-metric"]
        expected = None if key == "total" else [next(k for k, v in METRIC_KEYS.items() if v == key)]
        assert query.get("outcome") == expected

    header = page.select_one("th a[data-outcome-header]")
    assert header is not None and header.get_text(strip=True) == "Escalated"
    query = query_of(header["href"])
    assert query["outcome"] == ["escalated"]
    assert {key: query.get(key) for key in kept} == kept


def test_chips_remove_one_filter_and_the_form_adds_one(client, aiconvos) -> None:
    seed_outcomes(aiconvos)
    page = list_page(client, channel="chat", outcome=["tour", "escalated"], range="this_month")
    chips = page.select("[data-outcome-chip]")
    assert [chip["data-outcome-chip"] for chip in chips] == ["escalated", "tour"]
    assert chips[0].get_text(" ", strip=True).startswith("Escalated")
    for chip, left in zip(chips, (["tour"], ["escalated"]), strict=True):
        query = query_of(chip.select_one("a[data-outcome-remove]")["href"])
        assert query["outcome"] == left
        assert query["channel"] == ["chat"] and query["range"] == ["this_month"]
    clear = query_of(page.select_one("a[data-outcome-clear]")["href"])
    assert "outcome" not in clear and clear["channel"] == ["chat"]

    form = page.select_one("form[aria-label='Add an outcome filter']")
    hidden = [(i["name"], i["value"]) for i in form.select("input[type=hidden]")]
    assert ("outcome", "escalated") in hidden and ("outcome", "tour") in hidden
    assert ("channel", "chat") in hidden
    offered = [o["value"] for o in form.select("select[name=outcome] option") if o["value"]]
    assert offered == [o for o in OUTCOMES if o not in ("escalated", "tour")]
    # Submitting the form with a choice adds it; with none, nothing changes.
    submitted = client.get(
        LIST_URL, query_string=[*hidden, ("outcome", "booking")], headers=as_user("viewer")
    )
    added = soup(submitted).select("[data-outcome-chip]")
    assert [chip["data-outcome-chip"] for chip in added] == ["escalated", "tour", "booking"]
    unchanged = soup(
        client.get(LIST_URL, query_string=[*hidden, ("outcome", "")], headers=as_user("viewer"))
    )
    assert [c["data-outcome-chip"] for c in unchanged.select("[data-outcome-chip]")] == [
        "escalated",
        "tour",
    ]


def test_request_urls_put_outcomes_in_canonical_order(app) -> None:
    with app.test_request_context():
        request = ListRequest.parse({"outcome": "tour"}, timezone="UTC", now=FIXED_NOW, tenant=None)
        request = ListRequest(filters=request.filters, endpoint="aiconvos.index_view")
        url = request.url(outcome=["anonymous", "tour", "escalated", "tour"])
        assert query_of(url)["outcome"] == ["escalated", "tour", "anonymous"]
        assert "outcome" not in query_of(request.url(outcome=[]))
        assert query_of(request.without_outcome_url("tour")) == {}


QUERY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@EXAMPLES
@given(
    params=st.dictionaries(
        st.sampled_from(["channel", "search", "outcome", "range", "from", "sort", "page", "x y"]),
        st.one_of(QUERY_TEXT, st.integers(0, 10**12), st.lists(QUERY_TEXT, max_size=3)),
    ),
    prefix_query=st.booleans(),
)
@example(params={"search": "a&b=c #d/e?f+g%h"}, prefix_query=False)
def test_list_links_are_spelled_as_url_for_spells_them(app, params, prefix_query) -> None:
    """The list's links add their query to one routed URL: it must be the URL Flask builds."""
    with app.test_request_context():
        expected = url_for("aiconvos.index_view", **params)
        if prefix_query:
            base = url_for("aiconvos.index_view", lang="fr")
            assert with_query(base, params) == url_for("aiconvos.index_view", lang="fr", **params)
        assert with_query(url_for("aiconvos.index_view"), params) == expected


# --- writes move the counts ---------------------------------------------------------------------


def assert_counters_exact(db) -> None:
    assert counter_rows(db.engine) == rebuilt_counter_rows(db.engine)
    stored = dict(db.session.execute(sa.select(Conversation.id, Conversation.outcome_mask)).all())
    assert stored == brute_masks(db.session)
    db.session.rollback()


def brute_masks(session) -> dict[int, int]:
    """Each conversation's mask from its parts (not from its tallies or stored mask)."""
    masks = {
        conversation_id: (outcomes.ANONYMOUS_BIT if customer is None else 0)
        for conversation_id, customer in session.execute(
            sa.select(Conversation.id, Conversation.customer_id)
        )
    }
    for conversation_id, kind in session.execute(
        sa.select(Conversion.conversation_id, Conversion.kind)
    ):
        masks[conversation_id] |= outcomes.KIND_BITS[kind]
    for (conversation_id,) in session.execute(sa.select(EscalationTicket.conversation_id)):
        masks[conversation_id] |= outcomes.ESCALATED_BIT
    pending = sa.select(InboxItem.conversation_id).where(InboxItem.status == "pending")
    for (conversation_id,) in session.execute(pending):
        masks[conversation_id] |= outcomes.INBOX_PENDING_BIT
    return masks


def test_every_write_path_moves_the_counts(app, aiconvos, db) -> None:
    conversation = start(aiconvos, tenant="a")
    assert_counters_exact(db)
    aiconvos.record_conversion(conversation.id, kind="tour", target_id="V-1")
    aiconvos.record_conversion(conversation.id, kind="tour", target_id="V-2")
    assert_counters_exact(db)
    aiconvos.escalate(conversation.id, ticket_id="T-1", subject="Help")
    assert_counters_exact(db)
    aiconvos.link_inbox_item(conversation.id, item_id="I-1", status="pending")
    assert conversation.outcome_mask & outcomes.INBOX_PENDING_BIT
    assert_counters_exact(db)
    aiconvos.link_inbox_item(conversation.id, item_id="I-1", status="approved", title="Done")
    assert_counters_exact(db)
    aiconvos.link_inbox_item(conversation.id, item_id="I-1", status="pending")
    assert_counters_exact(db)

    record = {
        "external_id": "imported-1",
        "channel": "email",
        "origin": "customer_reply",
        "started_at": "2026-11-02T10:00:00Z",
        "customer_id": "C-9",
        "messages": [{"sender": "customer", "body": "Hello", "sent_at": "2026-11-02T10:00:00Z"}],
        "conversions": [
            {"kind": "booking", "target_id": "B-1", "occurred_at": "2026-11-02T10:05:00Z"}
        ],
        "inbox_items": [{"item_id": "I-9", "status": "pending"}],
    }
    report = aiconvos.import_conversations([record])
    assert report.conversations == 1, report.errors
    assert_counters_exact(db)
    merged = {
        **record,
        "conversions": [
            *record["conversions"],
            {"kind": "contract", "target_id": "K-1", "occurred_at": "2026-11-02T11:00:00Z"},
        ],
        "inbox_items": [{"item_id": "I-9", "status": "expired"}],
        "tickets": [
            {
                "ticket_id": "T-9",
                "subject": "Escalated by import",
                "escalated_at": "2026-11-02T12:00:00Z",
            }
        ],
    }
    aiconvos.import_conversations([merged])
    imported = db.session.scalars(
        sa.select(Conversation).where(Conversation.external_id == "imported-1")
    ).one()
    assert imported.outcome_mask == (
        outcomes.KIND_BITS["booking"] | outcomes.KIND_BITS["contract"] | outcomes.ESCALATED_BIT
    )
    db.session.rollback()
    assert_counters_exact(db)

    assert aiconvos.erase(customer_id="C-9") == 1
    assert_counters_exact(db)
    aiconvos.rebuild_counters()
    assert_counters_exact(db)


def test_concurrent_writers_into_one_conversation_agree_on_its_outcomes(
    app, aiconvos, db, database_url
) -> None:
    conversation = start(aiconvos, customer_id="C-1")
    for index in range(4):
        aiconvos.link_inbox_item(conversation.id, item_id=f"I-{index}", status="pending")
    # Each writer's own conversation, all counted in the same rows: their moves between the
    # same two masks run in opposite directions at once.
    own = [start(aiconvos, customer_id="C-1").id for _ in range(4)]

    def writer(ext: AIConversations, index: int) -> None:
        for round_ in range(6):
            status = "approved" if round_ % 2 else "pending"
            ext.link_inbox_item(conversation.id, item_id=f"I-{index}", status=status)
            ext.record_conversion(conversation.id, kind=KINDS[index], target_id=round_)
            flipped = "pending" if (round_ + index) % 2 else "approved"
            ext.link_inbox_item(own[index], item_id="I", status=flipped)
        ext.escalate(conversation.id, ticket_id=f"T-{index}", subject="Help")

    errors = run_writers(database_url, writer)
    assert errors == []
    db.session.expire_all()
    stored = db.session.get(Conversation, conversation.id)
    assert stored.outcome_mask == outcomes.ESCALATED_BIT | sum(
        outcomes.KIND_BITS[kind] for kind in KINDS[:4]
    )
    db.session.rollback()
    assert_counters_exact(db)


# --- the brute-force comparison ----------------------------------------------------------------


def record_randomly(aiconvos: AIConversations, seed: int, count: int) -> None:
    rng = random.Random(seed)
    anchors = [
        datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 12, 12, 0, tzinfo=UTC),
        FIXED_NOW - timedelta(hours=3),
    ]
    ids = []
    for number in range(count):
        started = rng.choice(anchors) + timedelta(minutes=rng.randint(-180, 120))
        conversation = aiconvos.start_conversation(
            channel=rng.choice(("chat", "email", "whatsapp")),
            origin="customer_reply",
            started_at=min(started, FIXED_NOW - timedelta(minutes=1)),
            tenant=rng.choice(TENANTS),
            customer_id=None if rng.random() < 0.4 else f"C-{number}",
        )
        ids.append(conversation.id)
    for _ in range(count * 3):
        target = rng.choice(ids)
        action = rng.random()
        if action < 0.45:
            kind = rng.choice(KINDS)
            aiconvos.record_conversion(target, kind=kind, target_id=f"{kind}-{rng.randint(1, 9)}")
        elif action < 0.6:
            aiconvos.escalate(target, ticket_id=f"T-{rng.randint(1, 3)}", subject="Help")
        else:
            aiconvos.link_inbox_item(
                target,
                item_id=f"I-{rng.randint(1, 2)}",
                status=rng.choice(("pending", "approved", "expired", "pending")),
            )


def brute_force(session, filters) -> tuple[dict[str, int], dict[str, int]]:
    """The metrics (by key) and the per-channel conversations of the view, tab aside."""
    masks = brute_masks(session)
    rows = session.execute(
        sa.select(
            Conversation.id, Conversation.channel, Conversation.tenant, Conversation.started_at
        )
    ).all()
    chosen = [
        (conversation_id, channel)
        for conversation_id, channel, tenant, started in rows
        if (filters.tenant is None or tenant == filters.tenant)
        and (filters.started_from is None or started >= filters.started_from)
        and (filters.started_to is None or started < filters.started_to)
        and all(outcomes.accepts(masks[conversation_id], o) for o in filters.outcomes)
    ]
    per_channel: dict[str, int] = {}
    for _, channel in chosen:
        per_channel[channel] = per_channel.get(channel, 0) + 1
    shown = [cid for cid, channel in chosen if filters.channel in (None, channel)]
    figures = {"total": len(shown)}
    for kind, key in METRIC_KEYS.items():
        figures[key] = sum(1 for cid in shown if masks[cid] & outcomes.KIND_BITS[kind])
    return figures, per_channel


def test_every_combination_equals_a_brute_force_count(client, aiconvos, db) -> None:
    record_randomly(aiconvos, 7, 45)
    assert_counters_exact(db)
    session = db.session
    combinations = [(o,) for o in OUTCOMES] + list(itertools.combinations(OUTCOMES, 2))
    ranges = [
        {},
        {"range": "this_month"},
        {"range": "last_month"},
        {"from": "2026-11-01", "to": "2026-11-12"},
    ]
    compared = 0
    for wanted in combinations:
        for tab in (None, "whatsapp"):
            for args in ranges:
                for tenant in TENANTS:
                    query = dict(args, **({"channel": tab} if tab else {}))
                    args_ = MultiDict([*query.items(), *(("outcome", o) for o in wanted)])
                    filters = parse_list_args(args_, timezone="UTC", now=FIXED_NOW, tenant=tenant)
                    expected, per_channel = brute_force(session, filters)
                    overview = queries.overview(session, filters)
                    got = {m.key: m.count for m in overview.metrics}
                    assert got == expected, (wanted, query, tenant)
                    assert {f.channel: f.conversations for f in overview.by_channel} == {
                        channel: n for channel, n in per_channel.items() if n
                    }
                    tabs = {t.channel: t.count for t in overview.tabs}
                    assert tabs["all"] == sum(per_channel.values())
                    compared += 1
    assert compared == len(combinations) * 2 * len(ranges) * len(TENANTS)
    # A sample through HTTP, the list's own rows included, and with a search.
    for wanted in [("escalated",), ("tour", "anonymous"), ("unconverted", "inbox_pending")]:
        for user, tenant in (("viewer", None), ("tenant_a", "a")):
            filters = parse_list_args({}, timezone="UTC", now=FIXED_NOW, tenant=tenant)
            expected, _ = brute_force(session, replace(filters, outcomes=wanted))
            page = list_page(client, user, outcome=list(wanted))
            assert {k: v[0] for k, v in metrics(page).items()} == expected
            searched = list_page(client, user, outcome=list(wanted), search="zzz-nothing")
            assert metrics(searched)["total"] == (0, None)
            # The trends chart counts the same conversations, bucket by bucket.
            month = parse_list_args(
                {"range": "this_month"}, timezone="UTC", now=FIXED_NOW, tenant=tenant
            )
            in_month, _ = brute_force(session, replace(month, outcomes=wanted))
            answer = client.get(
                LIST_URL + "metrics.json",
                query_string=[("range", "this_month"), *(("outcome", o) for o in wanted)],
                headers=as_user(user),
            ).get_json()
            assert answer["total"] == in_month["total"]
            assert sum(bucket["count"] for bucket in answer["series"]) == in_month["total"]
            assert sum(bucket["tours"] for bucket in answer["series"]) == in_month["tours"]


# --- queries ------------------------------------------------------------------------------------


def test_the_list_with_outcome_filters_costs_what_the_plain_list_costs(
    client, aiconvos, db
) -> None:
    record_randomly(aiconvos, 3, 30)

    def statements(**params) -> int:
        with count_queries(db.engine) as found:
            assert get_list(client, **params).status_code == 200
        return len(found)

    plain = statements()
    assert statements(outcome=["escalated", "anonymous"]) == plain
    assert statements(outcome="tour", range="this_month", channel="chat") == statements(
        range="this_month", channel="chat"
    )
    assert statements(outcome="converted", search="c") == statements(search="c")
