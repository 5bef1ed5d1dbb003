"""The read-only Flask-Admin view: thin, it parses the request and calls ``queries``.

Only the list and the timeline are served. Every other route Flask-Admin registers on a
``ModelView`` (``new/``, ``edit/``, ``delete/``, ``action/``, ``export/``, ``ajax/``) answers 404
for everyone, before any of its code runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, current_app, g, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from markupsafe import Markup

from . import queries, rendering
from .access import current_user
from .models import Conversation
from .vocab import (
    CHANNEL_ICONS,
    CHANNEL_LABELS,
    CONVERSION_STYLES,
    INBOX_STATUS_LABELS,
    ORIGIN_LABELS,
    SENDER_LABELS,
    ConversionKind,
    via_label,
)

#: The endpoints this view serves on purpose; everything else Flask-Admin registers is refused.
SERVED_ENDPOINTS = frozenset({"index_view", "details_view"})
#: Query parameters of the list page that stay in the URL through paging, sorting and search.
LIST_PARAMETERS = ("channel", "search", "range", "from", "to")
#: The conversion rates the channel comparison shows, in the order of the metrics.
COMPARISON_KINDS = (
    ConversionKind.BOOKING,
    ConversionKind.CUSTOMER,
    ConversionKind.TOUR,
    ConversionKind.CONTRACT,
)
#: What the list page's own links and forms keep: those parameters and Flask-Admin's sort order.
KEPT_PARAMETERS = (*LIST_PARAMETERS, "sort", "desc")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(day: date) -> str:
    """``"18 Nov 2026"``, the same in any locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _state() -> Any:
    from .extension import AIConversations

    return AIConversations.state()


def _now() -> datetime:
    """The clock the screens use (a test may set ``AICONVOS_NOW`` to a fixed aware datetime)."""
    fixed = current_app.config.get("AICONVOS_NOW")
    return fixed if isinstance(fixed, datetime) else datetime.now(UTC)


@dataclass(frozen=True)
class BadgeView:
    kind: str
    label: str
    css_class: str
    count: int
    url: str | None


@dataclass(frozen=True)
class RowView:
    """One list row, every value plain text (escaped by the template) or safe Markup."""

    id: int
    title: str
    title_is_fallback: bool
    url: str
    badges: list[BadgeView]
    customer: str
    customer_is_identifier: bool
    customer_url: str | None
    channel: str
    channel_label: str
    last_activity: Markup
    escalated: bool


def customer_display(conversation: Conversation) -> tuple[str, bool]:
    """``Name • Company`` when linked to a customer, else the external identifier.

    Returns the text and whether it is an identifier rather than a name. A linked customer
    without a stored name shows the identifier, then ``Customer <id>``; a conversation with no
    identifier shows the name it was given, if any.
    """
    named = " • ".join(
        part for part in (conversation.customer_name, conversation.customer_company) if part
    )
    if conversation.customer_id is not None and named:
        return named, False
    if conversation.external_identifier:
        return conversation.external_identifier, True
    if conversation.customer_id is not None:
        return f"Customer {conversation.customer_id}", False
    if named:
        return named, False
    return "Unknown", True


class ConversationView(ModelView):
    """The *AI Conversations* list (metrics, tabs, search, dates) and per-conversation timeline."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    can_view_details = True
    can_set_page_size = False
    column_display_actions = False
    column_list = (
        "subject",
        "conversions",
        "customer_name",
        "channel",
        "last_activity_at",
        "ticket_count",
    )
    column_labels = {
        "subject": "Subject",
        "conversions": "Conversion",
        "customer_name": "Customer",
        "channel": "Channel",
        "last_activity_at": "Last activity",
        "ticket_count": "Escalated",
    }
    column_sortable_list = ("last_activity_at",)
    column_default_sort = ("last_activity_at", True)
    list_template = "aiconvos/list.html"
    details_template = "aiconvos/details.html"

    # --- access ---------------------------------------------------------------------------

    def is_accessible(self) -> bool:
        return bool(_state().access.can_view(current_user()))

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if name not in SERVED_ENDPOINTS:
            abort(404)
        return super()._handle_view(name, **kwargs)

    def inaccessible_callback(self, name: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or not getattr(user, "is_authenticated", False):
            manager = getattr(current_app, "login_manager", None)
            if manager is not None:
                # Flask-Login's own answer: the host's unauthorized handler, else its login view
                # (per blueprint) with ``next``, else 401.
                return manager.unauthorized()
            abort(401)
        abort(403)

    def get_query(self) -> Any:
        return self._scoped(super().get_query())

    def get_count_query(self) -> Any:
        return self._scoped(super().get_count_query())

    def get_one(self, id: Any) -> Conversation | None:
        conversation_id = _conversation_id(id)
        if conversation_id is None:
            return None
        return queries.scoped_conversation(
            self._session(), conversation_id, _state().access.tenant()
        )

    def _scoped(self, query: Any) -> Any:
        tenant = _state().access.tenant()
        return query if tenant is None else query.filter(Conversation.tenant == tenant)

    @staticmethod
    def _session() -> Any:
        return _state().db.session

    # --- list -----------------------------------------------------------------------------

    @expose("/")
    def index_view(self) -> Any:
        state = _state()
        try:
            filters = queries.parse_list_args(
                request.args,
                timezone=state.timezone,
                now=_now(),
                tenant=state.access.tenant(),
            )
        except queries.BadListArgument as error:
            abort(400, description=str(error))
        g.aiconvos_filters = filters
        args = self._template_args
        args["filters"] = filters
        args["range_presets"] = queries.RANGE_PRESETS
        args["list_url"] = self._list_url
        args["kept_args"] = self._kept_args
        args["aiconvos_timezone"] = state.timezone
        args["format_day"] = format_day
        args["activity_sort"] = [name for name, _ in self._list_columns].index("last_activity_at")
        args["comparison_kinds"] = [
            (kind, CONVERSION_STYLES[kind].metric_label) for kind in COMPARISON_KINDS
        ]
        return super().index_view()

    def _get_list_extra_args(self) -> Any:
        """Flask-Admin's list arguments, keeping only this view's own extra parameters.

        Flask-Admin passes every other query parameter to ``url_for`` when it builds the sort and
        pager links, so ``?endpoint=x`` or ``?_method=POST`` would answer 500 and ``?_external=1``
        would rewrite the links. The search is re-emitted as it is matched: cleaned and bounded.
        """
        view_args = super()._get_list_extra_args()
        view_args.extra_args = {
            key: value for key, value in view_args.extra_args.items() if key in LIST_PARAMETERS
        }
        view_args.search = queries.clean_search(view_args.search)
        view_args.page = max(view_args.page or 0, 0)
        return view_args

    @staticmethod
    def _kept_args(*dropped: str) -> list[tuple[str, str]]:
        """The kept parameters of the current request but ``dropped`` (a form's hidden inputs).

        The search is kept as it is matched (cleaned, bounded), the sort only when it is a number;
        the other parameters were validated already (anything else answered 400).
        """
        kept = []
        for key in KEPT_PARAMETERS:
            value = request.args.get(key)
            if key == "search":
                value = queries.clean_search(value)
            elif key in ("sort", "desc") and not (value and value.isascii() and value.isdigit()):
                value = None
            if value and key not in dropped:
                kept.append((key, value))
        return kept

    def _list_url(self, **changes: Any) -> str:
        """The list URL with the kept parameters, some changed (``None`` drops one).

        Changing anything but the page starts again from the first page.
        """
        params = dict(self._kept_args())
        for key, value in changes.items():
            if value is None or value == "" or (key == "page" and value == 0):
                params.pop(key, None)
            else:
                params[key] = value
        return url_for(".index_view", **params)

    def get_list(
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: Any,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[int, list[Conversation]]:
        state = _state()
        list_filters: queries.ListFilters = g.aiconvos_filters
        session = self._session()
        overview = queries.overview(session, list_filters)
        size = page_size or self.page_size
        page_number = max(page or 0, 0)
        if sort_column in queries.SORTABLE_COLUMNS:
            sort, descending = sort_column, bool(sort_desc)
        else:  # no sort, or a column that is not sortable: newest activity first
            sort, descending = "last_activity_at", True
        rows = queries.page_of_rows(
            session,
            list_filters,
            page=page_number,
            page_size=size,
            total=overview.total,
            sort=sort,
            descending=descending,
        )
        badges = queries.badges_for(session, rows)
        user = current_user()
        now = _now()
        views = [self._row_view(row, badges[row.id], user, now, state) for row in rows]
        last_page = max((overview.total - 1) // size, 0)
        args = self._template_args
        args["overview"] = overview
        args["active_tab"] = next(tab for tab in overview.tabs if tab.active)
        args["rows"] = views
        args["first_shown"] = page_number * size + 1 if views else 0
        args["last_shown"] = page_number * size + len(views)
        args["past_end"] = not views and page_number > last_page
        args["last_page_url"] = self._list_url(page=last_page)
        return overview.total, rows

    def _row_view(
        self,
        row: Conversation,
        badges: list[queries.Badge],
        user: Any,
        now: datetime,
        state: Any,
    ) -> RowView:
        title = row.subject or row.first_message_preview
        customer, is_identifier = customer_display(row)
        return RowView(
            id=row.id,
            title=title or "(no messages yet)",
            title_is_fallback=row.subject is None,
            url=url_for(".details_view", id=row.id),
            badges=[
                BadgeView(
                    kind=badge.kind,
                    label=CONVERSION_STYLES[badge.kind].label,
                    css_class=CONVERSION_STYLES[badge.kind].css_class,
                    count=badge.count,
                    url=state.access.link_for(user, badge.kind, badge.newest_target_id),
                )
                for badge in badges
            ],
            customer=customer,
            customer_is_identifier=is_identifier,
            customer_url=state.access.link_for(user, "customer", row.customer_id),
            channel=row.channel,
            channel_label=CHANNEL_LABELS.get(row.channel, row.channel),
            last_activity=rendering.time_tag(
                row.last_activity_at, timezone=state.timezone, now=now
            ),
            escalated=row.escalated,
        )

    # --- timeline -------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        state = _state()
        conversation = self.get_one(request.args.get("id"))
        if conversation is None:
            abort(404)
        before = _conversation_id(request.args.get("before")) if "before" in request.args else None
        if "before" in request.args and before is None:
            abort(400, description="before must be a message id")
        data = queries.timeline(
            self._session(), conversation, limit=state.timeline_page_size, before=before
        )
        user = current_user()
        access = state.access
        customer, is_identifier = customer_display(conversation)
        return self.render(
            self.details_template,
            timeline=data,
            conversation=conversation,
            customer=customer,
            customer_is_identifier=is_identifier,
            customer_url=access.link_for(user, "customer", conversation.customer_id),
            link_for=lambda kind, target: access.link_for(user, kind, target),
            channel_labels=CHANNEL_LABELS,
            channel_icons=CHANNEL_ICONS,
            origin_labels=ORIGIN_LABELS,
            sender_labels=SENDER_LABELS,
            inbox_status_labels=INBOX_STATUS_LABELS,
            conversion_styles=CONVERSION_STYLES,
            via_label=via_label,
            time_tag=lambda moment: rendering.time_tag(moment, timezone=state.timezone, now=_now()),
            message_html=self._message_html,
            return_url=url_for(".index_view"),
        )

    @staticmethod
    def _message_html(message: Any) -> Markup:
        """The stored safe HTML, re-rendered when the policy changed since it was stored."""
        if message.render_version != rendering.POLICY_VERSION:
            html = rendering.render_body(
                message.body, message.content_format, engine=_state().recording.sanitizer
            )
        else:
            html = message.rendered_html
        return Markup(html)


def _conversation_id(value: Any) -> int | None:
    """A positive integer id from the query string, or ``None`` for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        number = int(value)
    else:
        return None
    return number if number > 0 else None
