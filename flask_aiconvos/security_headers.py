"""The Content-Security-Policy and other headers on every response of the extension's views.

A defence that holds even if the sanitiser ever misses a payload: no inline script runs unless it
carries this request's nonce (Flask-Admin's ``csp_nonce_generator`` when the host configured one,
else one the extension makes for its own pages), plugins and ``<base>`` are off, the pages cannot
be framed by other sites, and images load from the site itself (remote ones only where allowed).
The host's own pages are left alone: the headers go on responses of the extension's blueprints.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import g
from markupsafe import Markup
from werkzeug.wrappers import Response

#: ``AICONVOS_CSP`` value that selects the policy below.
DEFAULT_POLICY = "default"
#: The policy; ``{nonce}`` is this request's nonce, ``{images}`` the image sources.
POLICY_TEMPLATE = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; img-src {images}; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; "
    "form-action 'self'"
)
LOCAL_IMAGES = "'self' data:"
REMOTE_IMAGES = "'self' data: https:"
#: Headers set on every response of the extension's views.
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-store",
}

_NONCE_KEY = "aiconvos_csp_nonce"
_REMOTE_KEY = "aiconvos_remote_images"


def request_nonce(host_generator: Callable[[], Any] | None) -> str:
    """This request's script nonce: the host's generator asked once, else a random one."""
    nonce = g.get(_NONCE_KEY)
    if nonce is None:
        nonce = str(host_generator()) if host_generator is not None else secrets.token_urlsafe(18)
        setattr(g, _NONCE_KEY, nonce)
    return nonce


def nonce_attribute(host_generator: Callable[[], Any] | None) -> Markup:
    """``nonce="…"`` for the templates' ``admin_csp_nonce_attribute``."""
    return Markup('nonce="{}"').format(request_nonce(host_generator))


def allow_remote_images() -> None:
    """This response shows remote images (a "Show images" view): the policy lets them load."""
    setattr(g, _REMOTE_KEY, True)


def policy(setting: str | None, *, remote_images: bool) -> str | None:
    """The header value for ``AICONVOS_CSP`` (``"default"``, a policy of the host's own with an
    optional ``{nonce}``, or ``None`` for none). Only called once a nonce exists."""
    if setting is None:
        return None
    nonce = g.get(_NONCE_KEY) or request_nonce(None)
    images = REMOTE_IMAGES if remote_images or g.get(_REMOTE_KEY) else LOCAL_IMAGES
    template = POLICY_TEMPLATE if setting == DEFAULT_POLICY else setting
    return template.replace("{nonce}", nonce).replace("{images}", images)


def add_headers(response: Response, setting: str | None, *, remote_images: bool) -> Response:
    """Set the policy and the fixed headers (a host's own ``Cache-Control`` is replaced: these
    pages hold conversation content)."""
    value = policy(setting, remote_images=remote_images)
    if value is not None:
        response.headers["Content-Security-Policy"] = value
    for name, header in FIXED_HEADERS.items():
        response.headers[name] = header
    return response
