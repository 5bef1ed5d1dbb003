"""Translations (domain ``flask_aiconvos``) and locale-aware numbers and times, via Flask-Babel.

Flask-Babel is optional (``flask-aiconvos[i18n]``), as it is for Flask-Admin: without it, or
outside a request, or in an application that never called ``Babel(app)``, every string stays
English and numbers keep English separators. With it, the strings come from the catalogs in
``translations/`` for the request's locale, and numbers and times are spelled by Babel.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request

try:
    import flask_babel
    from babel import Locale
    from babel.dates import format_date, format_datetime, format_timedelta, get_datetime_format
    from babel.numbers import format_decimal, format_percent
except ImportError:  # pragma: no cover - the set-up without the extra runs in its own venv
    flask_babel = None

#: The gettext domain of every string of the extension (``flask_aiconvos.mo``).
DOMAIN = "flask_aiconvos"
#: Where the compiled catalogs live: ``<lang>/LC_MESSAGES/flask_aiconvos.mo``.
TRANSLATIONS_DIRECTORY = Path(__file__).parent / "translations"
#: The languages with a catalog in the package (English is the source language).
LANGUAGES: tuple[str, ...] = ("fr", "es", "de")
#: This module as the templates see it: each starts ``{% set _ = aiconvos_i18n.gettext %}``,
#: so ``_()`` there is this domain's, not the host's.
TEMPLATE_GLOBAL = "aiconvos_i18n"

#: What a host sees in its log when Flask-Babel is installed but was not set up.
BABEL_NOT_INITIALISED = (
    "flask-aiconvos: Flask-Babel is installed but this application never called Babel(app), "
    "so Flask-Admin answers 500 (KeyError: 'babel') on every page. Call "
    "flask_babel.Babel(app) when you create the app (or uninstall Flask-Babel); until then "
    "the AI Conversations screens stay English."
)

logger = logging.getLogger("flask_aiconvos")

_domain = (
    flask_babel.Domain(translation_directories=[str(TRANSLATIONS_DIRECTORY)], domain=DOMAIN)
    if flask_babel is not None
    else None
)
#: Where a request keeps its locale and catalog once looked up (a page asks a few hundred times).
_ENVIRON_KEY = "flask_aiconvos.language"
_UNSET = object()


@dataclass(frozen=True)
class _Language:
    locale: Locale
    #: ``str(locale)``, the key of the memoised formats below.
    key: str
    translations: Any


def _language() -> _Language | None:
    """This request's locale and catalog, or ``None`` where the screens stay English."""
    if flask_babel is None or not has_request_context():
        return None
    environ = request.environ
    found = environ.get(_ENVIRON_KEY, _UNSET)
    if found is _UNSET:
        found = None
        if "babel" in current_app.extensions:
            locale = flask_babel.get_locale()
            found = _Language(locale, str(locale), _domain.get_translations())
        environ[_ENVIRON_KEY] = found
    return found


def active_locale() -> Locale | None:
    """The request's Babel locale, or ``None`` where the screens stay English."""
    language = _language()
    return None if language is None else language.locale


def _interpolate(string: str, variables: Mapping[str, Any]) -> str:
    return string % variables if variables else string


def gettext(string: str, **variables: Any) -> str:
    """``string`` in the request's language, with ``%(name)s`` placeholders filled in."""
    language = _language()
    if language is not None:
        string = language.translations.ugettext(string)
    return _interpolate(string, variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for ``num`` (``%(num)s`` is ``num``, spelled locally)."""
    variables.setdefault("num", format_number(num))
    language = _language()
    if language is not None:
        return _interpolate(language.translations.ungettext(singular, plural, num), variables)
    return _interpolate(singular if num == 1 else plural, variables)


def N_(string: str) -> str:
    """Marks a string for the catalogs where it is translated later (``gettext(constant)``)."""
    return string


def lazy_gettext(string: str, **variables: Any) -> Any:
    """A string translated each time it is shown, for labels defined at import time."""
    if flask_babel is None:
        return _interpolate(string, variables)
    return flask_babel.LazyString(gettext, string, **variables)


def check_babel(app: Flask) -> None:
    """Log once, at the first request, when Flask-Babel is installed but not initialised.

    Checked at the first request rather than in ``init_app`` because a host may call
    ``Babel(app)`` after registering the extension.
    """
    if flask_babel is None:
        return
    checked = False

    def check_once() -> None:
        nonlocal checked
        if not checked:
            checked = True
            if "babel" not in app.extensions:
                logger.error(BABEL_NOT_INITIALISED)

    app.before_request(check_once)


# --- numbers ----------------------------------------------------------------------------------


def format_number(value: int | float) -> str:
    """A count as the request's locale writes it: ``1,234`` in English, ``1 234`` in French."""
    language = _language()
    if language is None:
        return f"{value:,}"
    return _decimal(value, language.key)


def format_rate(percent: float) -> str:
    """A share with one decimal, as the locale writes it: ``12.5%``, ``12,5 %``."""
    language = _language()
    if language is None:
        return f"{percent:.1f}%"
    return _percent(round(percent, 1), language.key)


def format_tenths(value: float) -> str:
    """A number with one decimal (percentage points), as the locale writes it: ``1,5``."""
    language = _language()
    if language is None:
        return f"{value:.1f}"
    return _decimal_tenths(round(value, 1), language.key)


# Babel spends tens of microseconds on each number; a page repeats the same few.
@lru_cache(maxsize=4096)
def _decimal(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _decimal_tenths(value: float, locale: str) -> str:
    return format_decimal(value, format="#,##0.0", locale=locale)


@lru_cache(maxsize=4096)
def _percent(percent: float, locale: str) -> str:
    return format_percent(percent / 100, format=_percent_pattern(locale), locale=locale)


@lru_cache(maxsize=64)
def _percent_pattern(locale: str) -> str:
    """The locale's percent pattern with one decimal: ``#,##0 %`` → ``#,##0.0 %``."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return re.sub(r"0(?=[^0#]*$)", "0.0", pattern, count=1)


# --- times (callers pass the locale ``active_locale`` gave them) -------------------------------


def relative(delta: timedelta, locale: Locale) -> str:
    """``il y a 15 minutes``: threshold 1 keeps 50 minutes from rounding up to an hour."""
    return format_timedelta(delta, add_direction=True, threshold=1, locale=locale)


def day(value: date, locale: Locale) -> str:
    """``23 nov. 2026``: the locale's medium date."""
    return format_date(value, "medium", locale=locale)


def moment(local: datetime, locale: Locale) -> str:
    """``lun. 23 nov. 2026, 22:08``: weekday, date and short time, joined as the locale does,
    in ``local``'s own zone."""
    return format_datetime(local, _moment_pattern(str(locale)), tzinfo=local.tzinfo, locale=locale)


@lru_cache(maxsize=64)
def _moment_pattern(locale: str) -> str:
    parsed = Locale.parse(locale)
    weekday_date = parsed.datetime_skeletons.get("yMMMEd")
    date_pattern = str(weekday_date) if weekday_date is not None else "EEE, d MMM y"
    time_pattern = parsed.time_formats["short"].pattern
    return (
        get_datetime_format("medium", locale=parsed)
        .replace("{1}", date_pattern)
        .replace("{0}", time_pattern)
    )
