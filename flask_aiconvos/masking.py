"""Masking e-mail addresses and phone numbers for operators without the PII role.

With ``AICONVOS_PII_ROLE`` set, an operator who lacks it sees ``n•••@example.com`` and
``+44 •••• ••0123``: enough to tell conversations apart, not enough to contact the customer.
Identifiers are masked wherever the screens show them, and addresses and numbers inside message
bodies are masked in the sanitised HTML's text and attributes (a masked address is no longer a
``mailto:`` link), so the full value appears nowhere in the response.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString
from markupsafe import Markup

MASK = "•"
#: An e-mail address: what a person would recognise as one (RFC 5322's local parts aside).
EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
)
#: A phone number: an optional +, then 7 to 15 digits with spaces, dots, dashes or brackets.
PHONE_RE = re.compile(r"(?<![\w+])\+?\d(?:[ .\-()]{0,2}\d){6,14}(?!\w)")
#: Digit runs that read as dates, not phone numbers (``2026-11-18``, ``18.11.2026``).
DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
#: How many trailing digits of a phone number stay visible.
VISIBLE_DIGITS = 4


def mask_email(address: str) -> str:
    """``nadia.haddad@example.com`` → ``n•••@example.com`` (the domain stays)."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_phone(number: str) -> str:
    """``+44 7700 900123`` → ``+44 •••• ••0123``: the country code (``+`` and the digits before
    the first separator) and the last four digits stay, every other digit is hidden."""
    digits = sum(ch.isdigit() for ch in number)
    keep_prefix = 0
    if number.startswith("+"):
        match = re.match(r"\+\d{1,3}(?=[ .\-(])", number)
        keep_prefix = len(match.group(0)) if match else 1
    out = []
    seen = 0
    for index, ch in enumerate(number):
        if ch.isdigit():
            seen += 1
            visible = index < keep_prefix or seen > digits - VISIBLE_DIGITS
            out.append(ch if visible else MASK)
        else:
            out.append(ch)
    return "".join(out)


def mask_identifier(identifier: str) -> str:
    """An external identifier (an e-mail address or a phone number) masked; anything else
    keeps only its first character."""
    if EMAIL_RE.fullmatch(identifier.strip()):
        return mask_email(identifier.strip())
    if PHONE_RE.fullmatch(identifier.strip()):
        return mask_phone(identifier.strip())
    return identifier[:1] + MASK * 3 if identifier else identifier


def mask_text(text: str) -> str:
    """Every e-mail address and phone number inside ``text`` masked."""
    text = EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    return PHONE_RE.sub(_phone_or_date, text)


def _phone_or_date(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if DATE_RE.fullmatch(found) else mask_phone(found)


def _mentions(value: str) -> bool:
    return mask_text(value) != value


def mask_html(safe_html: str) -> Markup:
    """Sanitised HTML with the addresses and numbers in its text and attributes masked; a link
    to one (``mailto:``, ``tel:``, or an ``href`` holding one) becomes plain text."""
    if not _mentions(safe_html):
        return Markup(safe_html)
    soup = BeautifulSoup(safe_html, "html.parser")
    for link in soup.find_all("a"):
        href = str(link.get("href") or "")
        if href.lower().startswith(("mailto:", "tel:")) or _mentions(href):
            link.unwrap()
    for element in soup.find_all(True):
        for name, value in list(element.attrs.items()):
            if isinstance(value, str) and _mentions(value):
                element[name] = mask_text(value)
    for node in soup.find_all(string=True):
        if _mentions(str(node)):
            node.replace_with(NavigableString(mask_text(str(node))))
    return Markup(str(soup))
