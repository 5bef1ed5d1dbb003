"""Every public XSS payload, and our own hostile cases, through every format and both engines.

The assertions are about the rendered result as a browser would parse it, not about the
payloads: no executable or document-changing element, no event handler, no URL attribute whose
scheme (after the browser's own clean-up) is anything but http, https, mailto or relative.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4.exceptions import ParserRejectedMarkup

from flask_aiconvos import rendering

DATA = Path(__file__).parent / "data"

# Some outputs are a bare URL, which Beautiful Soup warns about: parsing them is the point.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")

PARSERS = ["html.parser"]
if importlib.util.find_spec("html5lib") is not None:
    PARSERS.append("html5lib")

ENGINES = [pytest.param("nh3", id="nh3"), pytest.param("bleach", id="bleach")]

FORBIDDEN_ELEMENTS = frozenset(
    {
        "script", "iframe", "object", "embed", "style", "base", "meta", "link", "form", "input",
        "button", "svg", "math", "frame", "frameset", "template", "applet", "textarea",
        "select", "option", "isindex", "keygen", "noscript", "xmp", "plaintext", "noembed",
        "video", "audio", "source", "track", "portal", "title",
    }
)  # fmt: skip
FORBIDDEN_ATTRIBUTES = frozenset(
    {"srcdoc", "formaction", "style", "srcset", "ping", "class", "id", "name", "xmlns"}
)
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "background", "poster", "cite", "longdesc",
        "data", "codebase", "classid", "dynsrc", "lowsrc", "usemap", "manifest", "icon",
        "profile", "archive", "xlink:href", "xml:base",
    }
)  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
PARSER_WRAPPERS = frozenset({"html", "head", "body"})

_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def browser_scheme(value: str) -> str | None:
    """The scheme a browser resolves ``value`` (already entity-decoded) to; None if relative.

    Written independently of the module under test, following the URL standard: strip leading
    and trailing C0 controls and spaces, remove every tab and newline, lowercase.
    """
    cleaned = value.strip(_C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(cleaned.lower())
    return match.group(1) if match else None


@functools.cache
def _cached_violations(html: str) -> tuple[str, ...]:
    return tuple(_violations(html))


def violations(html: str) -> list[str]:
    """What is unsafe in ``html`` under every available parser (empty when safe).

    Cached by output: both engines often write the same HTML for a payload.
    """
    return list(_cached_violations(html))


def _violations(html: str) -> list[str]:
    found: list[str] = []
    for parser in PARSERS:
        try:
            soup = BeautifulSoup(html, parser)
        except ParserRejectedMarkup:
            found.append(f"{parser}: could not parse the output")
            continue
        for element in soup.find_all(True):
            name = element.name.lower()
            local = name.rsplit(":", 1)[-1]
            if name in PARSER_WRAPPERS and parser == "html5lib":
                continue
            if local in FORBIDDEN_ELEMENTS:
                found.append(f"{parser}: <{name}> element")
            elif local not in rendering.ALLOWED_TAGS:
                found.append(f"{parser}: <{name}> is outside the allowlist")
            for attribute, raw in element.attrs.items():
                attr = attribute.lower()
                value = " ".join(raw) if isinstance(raw, list) else str(raw)
                if attr.startswith("on"):
                    found.append(f"{parser}: <{name} {attr}> event handler")
                if attr in FORBIDDEN_ATTRIBUTES:
                    found.append(f"{parser}: <{name} {attr}> attribute")
                if attr in URL_ATTRIBUTES or attr.endswith(":href"):
                    scheme = browser_scheme(value)
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        found.append(f"{parser}: <{name} {attr}={value[:60]!r}> {scheme}: URL")
    return found


def _load(name: str) -> list[str]:
    with open(DATA / name, encoding="utf-8") as handle:
        payloads = json.load(handle)
    assert payloads and all(isinstance(p, str) for p in payloads)
    return payloads


HOSTILE = [
    # javascript: in every spelling a browser still runs
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="jav&#x0D;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112'
    '&#0000116&#0000058alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="&#14;  javascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="java\x00script:alert(1)">x</a>',
    "<a href=javascript:alert(1)>unquoted</a>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<a href="&#x26;#x6A;avascript:alert(1)">double encoded</a>',
    '<img src="javascript:alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<img src=x onerror=alert(1)>",
    '<img """><script>alert(1)</script>">',
    '<img srcset="javascript:alert(1) 1x">',
    '<IMG SRC=" &#14;  javascript:alert(1);">',
    # svg, math and namespace tricks
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><animate attributeName="href" values="javascript:alert(1)"/><a><text>x</text></a></svg>',
    '<math><a xlink:href="javascript:alert(1)">x</a></math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    # CSS
    "<style>@import 'http://evil.example/x.css'; body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">css</div>',
    '<div style="width: expression(alert(1))">css expression</div>',
    '<p style="behavior: url(x.htc)">htc</p>',
    '<p class="navbar fixed-top" id="csrf_token">clobber</p>',
    # forms
    '<form action="javascript:alert(1)"><input type="submit" value="go"></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<input onfocus=alert(1) autofocus>",
    "<isindex action=javascript:alert(1) type=image>",
    "<select autofocus onfocus=alert(1)><option>x</option></select>",
    "<keygen autofocus onfocus=alert(1)>",
    '<form id="test"></form><button form="test" formaction="javascript:alert(1)">X</button>',
    # frames and plugins
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<frameset><frame src="javascript:alert(1)"></frameset>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<applet code="x.class">applet</applet>',
    # document-level
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<body background="javascript:alert(1)" onload="alert(1)">',
    '<table background="javascript:alert(1)"><tr><td background="javascript:alert(1)">x</td></tr>'
    "</table>",
    '<video poster="javascript:alert(1)//"></video>',
    '<blockquote cite="javascript:alert(1)">q</blockquote>',
    '<a href="https://ok.example" ping="https://evil.example/" target="_self" rel="opener">ok</a>',
    # mXSS and parser differentials
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;'
    'src=1&Tab;onerror=alert(1)&gt;">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>"></xmp>',
    '<noembed><img title="</noembed><img src onerror=alert(1)>"></noembed>',
    '<iframe><img title="</iframe><img src onerror=alert(1)>"></iframe>',
    '<textarea><img title="</textarea><img src onerror=alert(1)>"></textarea>',
    '<title><img title="</title><img src onerror=alert(1)>"></title>',
    '<style><img title="</style><img src onerror=alert(1)>"></style>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
    '<?xml-stylesheet href="javascript:alert(1)"?>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="https://ok.example/"onmouseover="alert(1)">x</a>',
    # Markdown syntax (harmless as HTML, the attack for the markdown format)
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x]: javascript:alert(1)\n\n[x]",
    "<javascript:alert(1)>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    # plain-text linkify
    "javascript:alert(1)",
    'https://ok.example/"onmouseover="alert(1)',
    "http://ok.example/<script>alert(1)</script>",
    "mailto:x@ok.example?body=<img src=x onerror=alert(1)>",
    "&lt;img src=x onerror=alert(1)&gt;",
]

CORPORA: dict[str, dict[str, str]] = {
    "dompurify": {f"dompurify-{i:03d}": p for i, p in enumerate(_load("dompurify_payloads.json"))},
    "html5lib": {
        f"html5lib-{i:02d}": p for i, p in enumerate(_load("html5lib_sanitizer_inputs.json"))
    },
    "hostile": {f"hostile-{i:02d}": p for i, p in enumerate(HOSTILE)},
}


def _markdownified(payload: str, engine: str) -> str:
    markdown = rendering.html_to_markdown(payload)
    return rendering.render_body(markdown or "", "markdown", engine=engine)


PIPELINES: dict[str, Callable[[str, str], str]] = {
    "html": lambda p, e: rendering.render_body(p, "html", engine=e),
    "markdown": lambda p, e: rendering.render_body(p, "markdown", engine=e),
    "text": lambda p, e: rendering.render_body(p, "text", engine=e),
    "html-to-markdown": _markdownified,
}


def test_corpora_are_vendored_whole() -> None:
    assert len(_load("dompurify_payloads.json")) == 223
    assert len(_load("html5lib_sanitizer_inputs.json")) == 72
    assert len(CORPORA["dompurify"]) == 223 and len(CORPORA["hostile"]) == len(HOSTILE)
    assert (DATA / "PROVENANCE.md").is_file()


@pytest.mark.parametrize(
    "unsafe",
    [
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<img src="DATA:image/png;base64,AAAA">',
        "<p onclick=alert(1)>x</p>",
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
        '<iframe srcdoc="x"></iframe>',
        "<style>p{}</style>",
        '<p style="color:red">x</p>',
    ],
)
def test_the_oracle_catches_what_it_should(unsafe: str) -> None:
    assert violations(unsafe), "the safety check must flag raw hostile markup"


@functools.cache
def pipeline_violations(payload: str, engine: str) -> dict[str, list[str]]:
    """Violations of every pipeline's output for one payload and engine (cached: both tests
    below look at the same renderings)."""
    return {name: violations(pipeline(payload, engine)) for name, pipeline in PIPELINES.items()}


def unsafe_renderings(corpus: str, engine: str) -> dict[str, dict[str, list[str]]]:
    """``{payload id: {pipeline: violations}}`` for every payload that renders unsafely.

    One test per corpus and engine rather than per payload keeps the ~400 payloads x 4 formats
    x 2 engines well under ten seconds; the failure still names every payload and pipeline.
    """
    failures = {}
    for payload_id, payload in CORPORA[corpus].items():
        found = {name: v for name, v in pipeline_violations(payload, engine).items() if v}
        if found:
            failures[payload_id] = found
    return failures


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("corpus", list(CORPORA))
def test_every_payload_renders_inert_in_every_format(corpus: str, engine: str) -> None:
    assert unsafe_renderings(corpus, engine) == {}


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_engines_agree_on_safety(corpus: str) -> None:
    """Neither engine may let through what the other stops (not byte-equality)."""
    disagreements = {
        payload_id: (pipeline_violations(payload, "nh3"), pipeline_violations(payload, "bleach"))
        for payload_id, payload in CORPORA[corpus].items()
        if pipeline_violations(payload, "nh3") != pipeline_violations(payload, "bleach")
    }
    assert disagreements == {}


LEAKY = [
    "<script>LEAKED()</script>",
    "<script type='text/template'><b>LEAKED</b></script>",
    "<style>.LEAKED { color: red }</style>",
    "<title>LEAKED</title>",
    "<html><head><title>LEAKED</title><style>LEAKED{}</style></head><body></body></html>",
    "<svg><style>LEAKED{}</style></svg>",
    "<template><p>LEAKED</p></template>",
    "<noscript>LEAKED</noscript>",
    "<textarea>LEAKED</textarea>",
    "<iframe>LEAKED</iframe>",
    "<select><option>LEAKED</option></select>",
    "<!-- LEAKED -->",
    "<table><script>LEAKED()</script><tr><td>cell</td></tr></table>",
    "<p>before<style>LEAKED</style>after</p>",
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("payload", LEAKY)
def test_dropped_elements_take_their_content_with_them(payload: str, engine: str) -> None:
    html = rendering.render_body(payload, "html", engine=engine)
    assert "LEAKED" not in html
    assert violations(html) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_text_around_dropped_elements_stays(engine: str) -> None:
    html = rendering.render_body(
        "<p>before<style>x{}</style> after<script>y()</script> end</p>", "html", engine=engine
    )
    text = BeautifulSoup(html, "html.parser").get_text()
    assert " ".join(text.split()) == "before after end"
