"""The read-only Flask-Admin view: thin, it parses the request once and calls ``queries``.

Only the list, its export and the timeline are served. Every other route Flask-Admin registers on a
``ModelView`` (``new/``, ``edit/``, ``delete/``, ``action/``, ``export/``, ``ajax/``) answers 404
for everyone, before any of its code runs.

The list is rendered from ``column_list``, ``column_labels`` and ``column_formatters``: a host
subclass changes the columns with those attributes alone and passes itself to
``AIConversations(..., view_class=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, jsonify, request, stream_with_context
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import (
    DateTimeGreaterFilter,
    DateTimeSmallerFilter,
    FilterConverter,
)
from markupsafe import Markup

from . import (
    audit,
    excerpts,
    exporting,
    formatters,
    masking,
    queries,
    remote_images,
    rendering,
    security_headers,
    shortcuts,
    subjects,
    trends,
    vocab,
)
from .access import current_user
from .comparison import ComparisonRow, channel_rows, total_row
from .excerpts import Excerpt
from .formatters import BadgeView, badge_views, customer_display
from .i18n import gettext
from .i18n import lazy_gettext as _l
from .list_request import MAX_PAGE, RANGE_PRESETS, BadListArgument, ListFilters, ListRequest
from .models import ID_MAX, AccessLogEntry, Conversation, Conversion, Message
from .navigation import ListNavigation, list_navigation
from .search_text import clean_search
from .state import get_state
from .trends import CHART_KINDS, Trends
from .vocab import CONVERSION_STYLES, ConversionKind, Outcome

#: The endpoints this view serves on purpose; everything else Flask-Admin registers is refused.
SERVED_ENDPOINTS = frozenset(
    {"index_view", "details_view", "export_csv", "export_jsonl", "metrics_json"}
)
#: The conversion rates the channel comparison shows, in the order of the metrics.
COMPARISON_KINDS = (
    ConversionKind.BOOKING,
    ConversionKind.CUSTOMER,
    ConversionKind.TOUR,
    ConversionKind.CONTRACT,
    ConversionKind.DAY_PASS,
)
#: The columns whose header links to the list filtered to an outcome (kept like a metric link).
HEADER_OUTCOMES: dict[str, str] = {"escalated": Outcome.ESCALATED}
#: The list's order when the query string names none: newest activity first.
DEFAULT_SORT = ("last_activity_at", True)


def _positive_id(value: object) -> int | None:
    """A database id from the query string (1 to ``ID_MAX``), or ``None`` for anything else."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0")  # leading zeros never make a number larger
    if not digits or len(digits) > len(str(ID_MAX)):
        return None
    number = int(digits)
    return number if number <= ID_MAX else None


@dataclass(frozen=True)
class SortLink:
    """A sortable column header: where it leads, and how the list is sorted by it now."""

    url: str
    #: ``"ascending"``/``"descending"`` when the list is sorted by this column, else ``None``.
    current: str | None
    title: str


@dataclass(frozen=True)
class ListPage:
    """What the list template shows beyond Flask-Admin's own variables (``list_page``)."""

    request: ListRequest
    overview: queries.Overview
    badges: Mapping[int, list[BadgeView]]
    #: The previous period's figures and the activity chart.
    trends: Trends
    sort_column: str
    sort_descending: bool
    page_size: int
    rows_shown: int
    timezone: str
    now: datetime
    #: The operator sees identifiers masked (``AICONVOS_PII_ROLE``).
    masked: bool = False
    #: The operator may export the list (``AICONVOS_EXPORT_ROLE``): the page shows the links.
    can_export: bool = False
    #: The operator (Flask-Login's user, ``None`` without it), looked up once for every row.
    user: Any = None
    #: Per conversation found through a message: that message's excerpt (``excerpts``).
    excerpts: Mapping[int, Excerpt] = field(default_factory=dict)
    range_presets: Mapping[str, str] = field(default_factory=lambda: dict(RANGE_PRESETS))
    comparison_kinds: tuple[tuple[str, str], ...] = tuple(
        (kind.value, CONVERSION_STYLES[kind].metric_label) for kind in COMPARISON_KINDS
    )
    chart_kinds: tuple[str, ...] = CHART_KINDS

    @property
    def filters(self) -> ListFilters:
        return self.request.filters

    @cached_property
    def comparison_rows(self) -> list[ComparisonRow]:
        """The channel comparison's rows (``comparison``), one per compared channel."""
        return channel_rows(self.overview, [kind for kind, _label in self.comparison_kinds])

    @cached_property
    def comparison_total(self) -> ComparisonRow | None:
        """The comparison's last row, every channel together (``None`` for one channel)."""
        return total_row(self.overview, [kind for kind, _label in self.comparison_kinds])

    @property
    def active_tab(self) -> queries.Tab:
        return next(tab for tab in self.overview.tabs if tab.active)

    @property
    def first_shown(self) -> int:
        return self.request.page * self.page_size + 1 if self.rows_shown else 0

    @property
    def last_shown(self) -> int:
        return self.request.page * self.page_size + self.rows_shown

    @property
    def last_page(self) -> int:
        return max((self.overview.total - 1) // self.page_size, 0)

    @property
    def past_end(self) -> bool:
        return not self.rows_shown and self.request.page > self.last_page

    @staticmethod
    def day(day: date) -> str:
        return rendering.format_day(day)

    @staticmethod
    def shown_columns(list_columns: Sequence[tuple[str, Any]]) -> list[tuple[str, str]]:
        """Flask-Admin's ``(name, label)`` columns with each label translated once per page
        (every cell repeats it in ``data-label``)."""
        return [(name, str(label)) for name, label in list_columns]

    @staticmethod
    def header_outcome(name: str) -> str | None:
        """The outcome the header of column ``name`` filters the list to, if any."""
        return HEADER_OUTCOMES.get(name)

    def sort_link(self, index: int, name: str) -> SortLink:
        """The header link of the sortable column at ``index``: it toggles the direction of
        the current sort, and opens another column newest (largest) first."""
        if name != self.sort_column:
            return SortLink(
                self.request.sort_url(index, desc=True), None, gettext("Sort by this column")
            )
        current = "descending" if self.sort_descending else "ascending"
        if self.sort_descending:
            return SortLink(self.request.sort_url(index), current, gettext("Show oldest first"))
        back_to_default = (name, True) == DEFAULT_SORT
        url = self.request.sort_url(None if back_to_default else index, desc=True)
        return SortLink(url, current, gettext("Show newest first"))


@dataclass(frozen=True)
class RenderedMessage:
    """A message body as shown, and the hosts of the remote images it did not load."""

    html: Markup
    blocked_hosts: list[str]


@dataclass(frozen=True)
class TimelinePage:
    """What the timeline template shows (``timeline_page``)."""

    conversation: Conversation
    timeline: queries.Timeline
    before: int | None
    user: Any
    timezone: str
    now: datetime
    sanitizer: str
    #: Remote images load in every message (``AICONVOS_REMOTE_IMAGES = "allow"``).
    remote_images: bool = False
    #: The message whose remote images this request shows ("Show images"), if any.
    images_for: int | None = None
    #: The operator sees e-mail addresses and phone numbers masked (``AICONVOS_PII_ROLE``).
    masked: bool = False
    #: The list the timeline was opened from (its parameters ride on the timeline's links).
    list_request: ListRequest = field(default_factory=ListRequest)
    #: Back to that list, and on to the conversations above and below in it.
    navigation: ListNavigation | None = None
    #: The message the timeline was opened at (``message=``), marked ``data-focused``.
    focused: int | None = None

    def url(self, **params: Any) -> str:
        """This conversation's timeline with ``params`` (``before``, ``images``), keeping the
        list it was opened from."""
        return self.list_request.details_url(self.conversation.id, **params)

    @property
    def customer(self) -> tuple[str, bool]:
        text, is_identifier = customer_display(self.conversation)
        if is_identifier and self.masked:
            text = masking.mask_identifier(text)
        return text, is_identifier

    def text(self, value: str | None) -> str | None:
        """Untrusted text the timeline shows (titles, subjects, previews), masked as needed."""
        if value is None or not self.masked:
            return value
        return masking.mask_text(value)

    @property
    def heading(self) -> str | None:
        """The subject, or the opening message on one line as the list shows it."""
        conversation = self.conversation
        return self.text(
            conversation.subject or subjects.display_subject(conversation.first_message_preview)
        )

    def link_for(self, kind: str, target_id: str | None) -> str | None:
        return get_state().access.link_for(self.user, kind, target_id)

    def conversion_badge(self, conversion: Conversion) -> BadgeView:
        """A conversion as a badge naming its record, linked when the operator may open it."""
        style = CONVERSION_STYLES[conversion.kind]
        return BadgeView(
            kind=conversion.kind,
            label=f"{style.label} {conversion.target_id}",
            css_class=style.css_class,
            count=1,
            url=self.link_for(conversion.kind, conversion.target_id),
            icon=style.icon,
        )

    def conversion_badges(self) -> list[BadgeView]:
        """Every conversion of the conversation, each a badge naming its record."""
        return [self.conversion_badge(c) for c in self.timeline.conversions]

    @property
    def entries(self) -> list[queries.TimelineEntry]:
        """The page's messages with the events of its time span among them."""
        return queries.timeline_entries(self.timeline)

    def time_tag(self, moment: datetime) -> Markup:
        return rendering.time_tag(moment, timezone=self.timezone, now=self.now)

    def rendered(self, message: Message) -> RenderedMessage:
        """The stored safe HTML (rendered again when the policy changed since it was stored),
        with remote images held back unless they are allowed or asked for."""
        if message.render_version != rendering.POLICY_VERSION:
            html = rendering.render_body(
                message.body, message.content_format, engine=self.sanitizer
            )
        else:
            html = message.rendered_html
        html = rendering.localise_stored(html)
        if self.masked:
            html = masking.mask_html(html)
        if self.remote_images or message.id == self.images_for:
            return RenderedMessage(Markup(html), [])
        shown, hosts = remote_images.block(html)
        return RenderedMessage(Markup(shown), hosts)

    def show_images_url(self, message: Message) -> str:
        """This timeline screen again, with the remote images of ``message`` loaded."""
        params: dict[str, Any] = {"images": message.id}
        if self.before is not None:
            params["before"] = self.before
        return self.url(**params) + f"#message-{message.id}"


class LockedDownView(ModelView):
    """A read-only ModelView that serves only ``served_endpoints`` (every other route Flask-Admin
    registers answers 404 before its code runs) to users with ``required_role()``."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    can_set_page_size = False
    column_display_actions = False
    served_endpoints: ClassVar[frozenset[str]] = frozenset({"index_view"})

    def required_role(self) -> str:
        return get_state().access.view_role

    def is_accessible(self) -> bool:
        access = get_state().access
        return bool(access.role_checker(current_user(), self.required_role()))

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if name not in self.served_endpoints:
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

    def render(self, template: str, **kwargs: Any) -> Any:
        """Flask-Admin's render, with the vocabulary's labels and icons and the keyboard
        shortcuts for the templates, and this request's script nonce (the one the
        Content-Security-Policy names)."""
        kwargs.setdefault("aiconvos_vocab", vocab)
        kwargs.setdefault("aiconvos_shortcuts", shortcuts)
        if get_state().csp is not None:
            self._template_args["admin_csp_nonce_attribute"] = security_headers.nonce_attribute(
                self.admin.csp_nonce_generator
            )
        return super().render(template, **kwargs)

    def create_blueprint(self, admin: Any) -> Any:
        """Flask-Admin's blueprint, with the security headers on every response it gives
        (error pages included); the host's own pages are not touched."""
        blueprint = super().create_blueprint(admin)
        blueprint.after_request(self._secure_response)
        return blueprint

    @staticmethod
    def _secure_response(response: Any) -> Any:
        state = get_state()
        return security_headers.add_headers(response, state.csp, remote_images=state.remote_images)


class ConversationView(LockedDownView):
    """The *AI Conversations* list (metrics, tabs, search, dates) and per-conversation timeline."""

    served_endpoints = SERVED_ENDPOINTS
    can_view_details = True

    column_list: ClassVar[tuple[str, ...]] = (
        "subject",
        "conversions",
        "customer",
        "channel",
        "last_activity_at",
        "escalated",
    )
    """The list's columns, in order. Any name in ``column_formatters`` or any attribute of
    ``Conversation`` (``tenant``, ``origin``, ``started_at``, …) may appear; leave one out to
    hide it. The row hooks (``data-conversation-id``) stay whatever the columns."""

    column_labels: ClassVar[dict[str, str]] = {
        "subject": _l("Subject"),
        "conversions": _l("Conversion"),
        "customer": _l("Customer"),
        "channel": _l("Channel"),
        "last_activity_at": _l("Last activity"),
        "escalated": _l("Escalated"),
    }
    """Header text per column; a column without a label gets Flask-Admin's (``Started At``)."""

    column_formatters: ClassVar[dict[str, Any]] = {
        "subject": formatters.subject,
        "conversions": formatters.conversions,
        "customer": formatters.customer,
        "channel": formatters.channel,
        "last_activity_at": formatters.last_activity,
        "escalated": formatters.escalated,
    }
    """Column → ``formatter(view, context, model, name)`` returning ``Markup`` (a returned
    ``str`` is escaped). The public ones are in ``flask_aiconvos.formatters``."""

    column_sortable_list: ClassVar[tuple[str, ...]] = ("last_activity_at",)
    """Columns whose header sorts the list: ``last_activity_at`` and ``started_at`` can be."""

    column_default_sort = DEFAULT_SORT
    list_template = "aiconvos/list.html"
    details_template = "aiconvos/details.html"

    # --- access ---------------------------------------------------------------------------

    def get_query(self) -> Any:
        return self._scoped(super().get_query())

    def get_count_query(self) -> Any:
        return self._scoped(super().get_count_query())

    def get_one(self, id: Any) -> Conversation | None:
        conversation_id = _positive_id(id)
        if conversation_id is None:
            return None
        return queries.scoped_conversation(
            get_state().db.session, conversation_id, get_state().access.tenant()
        )

    def _scoped(self, query: Any) -> Any:
        tenant = get_state().access.tenant()
        return query if tenant is None else query.filter(Conversation.tenant == tenant)

    # --- list -----------------------------------------------------------------------------

    def list_request(self) -> ListRequest:
        """This request's list parameters, parsed once (``BadListArgument`` when malformed)."""
        state = get_state()
        return ListRequest.parse(
            request.args, timezone=state.timezone, now=state.clock(), tenant=state.access.tenant()
        )

    def sort_order(self, list_request: ListRequest) -> tuple[str, bool]:
        """The column the list is sorted by and whether descending: the request's sortable
        column, else the default order."""
        chosen = self._get_column_by_idx(list_request.sort)
        if chosen is not None and self.is_sortable(chosen[0]):
            return chosen[0], list_request.desc
        return DEFAULT_SORT

    @expose("/")
    def index_view(self) -> Any:
        state = get_state()
        try:
            list_request = self.list_request()
        except BadListArgument as error:
            abort(400, description=str(error))
        overview, figures = trends.overview_and_trends(
            state.db.session, list_request.filters, timezone=state.timezone, now=state.clock()
        )
        sort_column, descending = self.sort_order(list_request)
        count, rows = self.get_list(
            list_request.page,
            sort_column,
            descending,
            list_request.filters.search,
            list_request.filters,
            page_size=self.page_size,
            total=overview.total,
        )
        user = current_user()
        masked = state.access.masks_pii(user)
        page = ListPage(
            request=list_request,
            overview=overview,
            trends=figures,
            excerpts=excerpts.excerpts_for(
                state.db.session,
                [row.id for row in rows],
                list_request.filters.search_words,
                masked=masked,
            ),
            badges={
                conversation_id: badge_views(badges, user=user)
                for conversation_id, badges in queries.badges_for(state.db.session, rows).items()
            },
            sort_column=sort_column,
            sort_descending=descending,
            page_size=self.page_size,
            rows_shown=len(rows),
            timezone=state.timezone,
            now=state.clock(),
            masked=masked,
            can_export=state.access.can_export(user),
            user=user,
        )
        num_pages = -(-count // self.page_size)
        audit.record(audit.SEARCH if list_request.filters.search else audit.LIST)
        return self.render(
            self.list_template,
            data=rows,
            count=count,
            list_columns=self._list_columns,
            get_value=self.get_list_value,
            get_pk_value=self.get_pk_value,
            num_pages=num_pages,
            page=list_request.page,
            page_size=self.page_size,
            pager_url=list_request.page_url,
            sort_column=list_request.sort,
            sort_desc=list_request.desc,
            search=list_request.filters.search,
            return_url=list_request.url(page=list_request.page),
            list_page=page,
        )

    def get_list(
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: Any,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
        total: int | None = None,
    ) -> tuple[int, list[Conversation]]:
        """Flask-Admin's hook: the total and one page of conversations, from its arguments.

        ``filters`` is the ``ListFilters`` of the list (tab, date range; Flask-Admin's own
        filter list is not used), ``search`` the typed search; the operator's tenant scope is
        always applied, whatever ``filters`` says. ``total`` may pass a count known already
        (the list page's metrics hold it); otherwise it is counted.
        """
        state = get_state()
        session = state.db.session
        base = filters if isinstance(filters, ListFilters) else ListFilters()
        list_filters = replace(base, search=clean_search(search), tenant=state.access.tenant())
        if total is None:
            total = queries.overview(session, list_filters).total
        if sort_column not in queries.SORTABLE_COLUMNS:
            sort_column, sort_desc = DEFAULT_SORT
        rows = queries.page_of_rows(
            session,
            list_filters,
            page=max(page or 0, 0),
            page_size=page_size or self.page_size,
            total=total,
            sort=sort_column,
            descending=bool(sort_desc),
            now=state.clock(),
        )
        return total, rows

    # --- metrics for dashboards -----------------------------------------------------------

    @expose("/metrics.json")
    def metrics_json(self) -> Any:
        """The list's metrics, previous period, channel comparison and chart series as JSON:
        the list's parameters, role and tenant scope; no identifiers in it."""
        state = get_state()
        try:
            list_request = self.list_request()
        except BadListArgument as error:
            response = jsonify({"error": str(error)})
            response.status_code = 400
            return response
        overview, figures = trends.overview_and_trends(
            state.db.session, list_request.filters, timezone=state.timezone, now=state.clock()
        )
        audit.record(
            audit.SEARCH if list_request.filters.search else audit.LIST, extra={"format": "json"}
        )
        response = jsonify(
            trends.as_json(list_request.filters, overview, figures, timezone=state.timezone)
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response

    # --- export ---------------------------------------------------------------------------

    @expose("/export.csv")
    def export_csv(self) -> Any:
        """The list as CSV: every row of its tab, search, date range and scope, in its order."""
        return self._export("csv")

    @expose("/export.jsonl")
    def export_jsonl(self) -> Any:
        """The list as JSON Lines in the import format, with every part of each conversation."""
        return self._export("jsonl")

    def _export(self, extension: str) -> Response:
        """A streamed download of the list for operators with the export role (403 for the
        others); a list parameter it cannot read answers 400, like the list."""
        state = get_state()
        user = current_user()
        if not state.access.can_export(user):
            abort(403)
        try:
            list_request = self.list_request()
        except BadListArgument as error:
            abort(400, description=str(error))
        sort_column, descending = self.sort_order(list_request)
        masked = state.access.masks_pii(user)
        produce = exporting.csv_chunks if extension == "csv" else exporting.jsonl_chunks
        body = produce(
            state.db.session,
            list_request.filters,
            sort=sort_column,
            descending=descending,
            masked=masked,
        )
        media_type = exporting.CSV_MEDIA_TYPE if extension == "csv" else exporting.JSONL_MEDIA_TYPE
        audit.record(audit.EXPORT, extra={"format": extension})
        response = Response(stream_with_context(body), content_type=media_type)
        name = exporting.file_name(list_request.filters, extension)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response

    # --- timeline -------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        state = get_state()
        conversation = self.get_one(request.args.get("id"))
        if conversation is None:
            abort(404)
        before = None
        if "before" in request.args:
            before = _positive_id(request.args.get("before"))
            if before is None:
                abort(400, description="before must be a message id")
        images_for = None
        if "images" in request.args:
            images_for = _positive_id(request.args.get("images"))
            if images_for is None:
                abort(400, description="images must be a message id")
            security_headers.allow_remote_images()
        focused = None
        if "message" in request.args:
            focused = _positive_id(request.args.get("message"))
            if focused is None:
                abort(400, description="message must be a message id")
            if before is None:
                found, before = queries.page_holding(
                    state.db.session, conversation, focused, limit=state.timeline_page_size
                )
                if not found:
                    focused = None  # not a message of this conversation: the newest page
        try:
            list_request = self.list_request()
        except BadListArgument as error:
            abort(400, description=str(error))
        sort_column, descending = self.sort_order(list_request)
        page = TimelinePage(
            conversation=conversation,
            timeline=queries.timeline(
                state.db.session, conversation, limit=state.timeline_page_size, before=before
            ),
            before=before,
            user=current_user(),
            timezone=state.timezone,
            now=state.clock(),
            sanitizer=state.recording.sanitizer,
            remote_images=state.remote_images,
            images_for=images_for,
            masked=state.access.masks_pii(current_user()),
            list_request=list_request,
            navigation=list_navigation(
                state.db.session,
                list_request,
                conversation.id,
                sort=sort_column,
                descending=descending,
                page_size=self.page_size,
            ),
            focused=focused,
        )
        audit.record(
            audit.SHOW_IMAGES if images_for is not None else audit.TIMELINE,
            conversation_id=conversation.id,
        )
        return self.render(
            self.details_template,
            model=conversation,
            timeline_page=page,
            return_url=page.navigation.back_url if page.navigation else list_request.url(),
        )


class _AwareTimeFilter:
    """A Flask-Admin date-time filter whose typed time (in ``AICONVOS_TIMEZONE``) is compared
    as the aware UTC time the column stores.

    A time at the very start or end of the calendar whose UTC time falls off it (year 1 east of
    Greenwich, year 9999 west of it) is the calendar's first or last moment, which every stored
    time compares with as it would with the typed one.
    """

    def clean(self, value: str) -> datetime:
        typed = super().clean(value)  # type: ignore[misc]
        local = typed.replace(tzinfo=ZoneInfo(get_state().timezone))
        try:
            return local.astimezone(UTC)
        except OverflowError:
            ahead_of_utc = (local.utcoffset() or timedelta(0)) > timedelta(0)
            return (datetime.min if ahead_of_utc else datetime.max).replace(tzinfo=UTC)


class LoggedAfter(_AwareTimeFilter, DateTimeGreaterFilter):
    pass


class LoggedBefore(_AwareTimeFilter, DateTimeSmallerFilter):
    pass


def _logged_params(view: Any, context: Any, model: AccessLogEntry, name: str) -> str:
    """An entry's parameters as they were typed (``search=nadia@example.com``, not the query
    string's escapes), masked like every other screen for an operator without the PII role."""
    shown = " & ".join(f"{key}={value}" for key, value in parse_qsl(model.params or ""))
    return masking.mask_text(shown) if get_state().access.masks_pii(current_user()) else shown


class _NoNulFilter:
    """A text filter refusing a value with a NUL character (PostgreSQL cannot compare one): it
    is an invalid value, flashed and left out as Flask-Admin does with any other."""

    def validate(self, value: str) -> bool:
        return "\x00" not in value and super().validate(value)  # type: ignore[misc]


class _FilterConverter(FilterConverter):
    """Flask-Admin's filters for the access log's columns, their text filters refusing NUL."""

    strings = tuple(
        type(f.__name__, (_NoNulFilter, f), {"__module__": __name__})
        for f in FilterConverter.strings
    )


class AccessLogView(LockedDownView):
    """*Access log*: who viewed, searched or opened which conversations, newest first."""

    column_list: ClassVar[tuple[str, ...]] = (
        "at",
        "user_display",
        "action",
        "conversation_id",
        "tenant",
        "params",
    )
    column_labels: ClassVar[dict[str, str]] = {
        "at": _l("When"),
        "user_display": _l("User"),
        "user_id": _l("User id"),
        "action": _l("Action"),
        "conversation_id": _l("Conversation"),
        "tenant": _l("Tenant"),
        "params": _l("Parameters"),
    }
    column_default_sort = [("at", True), ("id", True)]
    column_sortable_list: ClassVar[tuple[str, ...]] = ("at", "user_display", "action")
    column_searchable_list: ClassVar[tuple[str, ...]] = ("user_display", "user_id", "params")
    column_filters: ClassVar[tuple[Any, ...]] = (
        "user_id",
        "user_display",
        "action",
        LoggedAfter(AccessLogEntry.at, _l("When")),
        LoggedBefore(AccessLogEntry.at, _l("When")),
    )
    filter_converter = _FilterConverter()
    column_formatters: ClassVar[dict[str, Any]] = {
        "at": lambda view, context, model, name: rendering.time_tag(
            model.at, timezone=get_state().timezone, now=get_state().clock()
        ),
        "params": _logged_params,
    }

    def required_role(self) -> str:
        return get_state().audit_role

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        """Flask-Admin's list, once the entries of the pages served so far are written: an
        auditor sees every view up to this one."""
        audit.flush(timeout=2.0)
        return super().get_list(*args, **kwargs)

    def get_query(self) -> Any:
        return self._scoped(super().get_query())

    def get_count_query(self) -> Any:
        return self._scoped(super().get_count_query())

    def _scoped(self, query: Any) -> Any:
        tenant = get_state().access.tenant()
        return query if tenant is None else query.filter(AccessLogEntry.tenant == tenant)

    def _get_list_extra_args(self) -> Any:
        """Flask-Admin's list arguments, bounded: a page within any database's offsets, a
        search without control characters (PostgreSQL refuses NUL), no foreign parameters."""
        view_args = super()._get_list_extra_args()
        view_args.page = min(max(view_args.page or 0, 0), MAX_PAGE)
        view_args.search = clean_search(view_args.search)
        view_args.extra_args = {}
        return view_args
