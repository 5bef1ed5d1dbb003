"""Remote images in messages are not loaded until an operator asks, as mail clients do.

An e-mail's ``<img src="https://…">`` is often a tracking pixel: loading it tells the sender when
an operator opened the conversation. Shown messages have each remote image replaced by a
placeholder naming its host; a "Show images" link renders that one message with them. Inline
``data:`` images (which the sanitiser keeps only in safe raster formats) are not remote.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from .i18n import gettext

#: ``AICONVOS_REMOTE_IMAGES`` values.
BLOCK = "block"
ALLOW = "allow"
MODES = (BLOCK, ALLOW)


def _is_remote(src: str) -> bool:
    return src.strip().lower().startswith(("http:", "https:", "//"))


def _host(src: str) -> str:
    try:
        return urlsplit(src.strip()).hostname or "unknown host"
    except ValueError:
        return "unknown host"


def block(safe_html: str) -> tuple[str, list[str]]:
    """``safe_html`` with every remote image a placeholder, and the hosts it named (in order,
    once each). The input is the sanitiser's output, so parsing it cannot add markup."""
    if "<img" not in safe_html:
        return safe_html, []
    soup = BeautifulSoup(safe_html, "html.parser")
    hosts: list[str] = []
    for image in soup.find_all("img"):
        src = image.get("src") or ""
        if not _is_remote(src):
            continue
        host = _host(src)
        if host not in hosts:
            hosts.append(host)
        placeholder = soup.new_tag("span", attrs={"class": "aiconvos-blocked-image"})
        placeholder["data-blocked-image"] = host
        alt = (image.get("alt") or "").strip()
        placeholder.string = (
            gettext("[image from %(host)s: %(alt)s]", host=host, alt=alt)
            if alt
            else gettext("[image from %(host)s]", host=host)
        )
        image.replace_with(placeholder)
    if not hosts:
        return safe_html, []
    return str(soup), hosts
