"""How rendering time grows with the length of hostile message bodies.

Every shape below is a unit repeated up to a length (a few doublings up to the largest body
``add_message`` accepts by default), rendered with ``rendering.render_body`` in its format. A
shape whose time grows by about 2× per doubling is linear; 4× is quadratic. The probe prints a
Markdown table of seconds per length, the worst growth per doubling and the time at the
largest size, and ends with the worst shapes.

    python -m bench.render_probe                  # 125k … 1M characters, a few minutes
    python -m bench.render_probe --quick          # 25k … 200k characters
    python -m bench.render_probe --shape 'md:' --engine bleach

A child process times the shapes in turn and is killed when one rendering takes longer than
``--limit`` seconds (a new one goes on with the next shape), so a quadratic shape costs the
probe ``--limit`` seconds, not hours; its larger sizes are then shown as ``>limit``. Growth is
the geometric mean of the ratios per doubling from the first time above ``--floor`` (below it
timer noise dominates) to the last, with the worst single doubling beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from flask_aiconvos import rendering
from flask_aiconvos.recording import DEFAULT_MAX_BODY_CHARS

#: Elements whose parsing rules differ from a plain ``<div>`` (formatting, auto-closing,
#: scoping, foreign content, raw text), beyond the allowed and content-dropped ones.
PARSER_SPECIAL_TAGS = (
    "address", "applet", "article", "aside", "button", "center", "details", "dir",
    "fieldset", "figure", "font", "footer", "form", "frameset", "header", "label", "legend",
    "listing", "main", "marquee", "menu", "nav", "nobr", "object", "optgroup", "option",
    "plaintext", "rb", "rp", "rt", "rtc", "ruby", "section", "summary", "tt", "big",
    "colgroup", "col", "image", "input", "embed", "frame", "param", "x-custom", "foreignobject",
    "mi", "mtext", "desc", "annotation-xml", "body", "html", "head",
)  # fmt: skip


@dataclass(frozen=True)
class Shape:
    name: str
    content_format: str
    unit: Callable[[int], str]  # unit(i): the i-th repetition


def _fixed(text: str) -> Callable[[int], str]:
    return lambda _i: text


def _numbered(template: str) -> Callable[[int], str]:
    return lambda i: template.format(i=i)


def shapes() -> list[Shape]:
    out: list[Shape] = []
    html = "html"
    every_tag = sorted(
        set(rendering.ALLOWED_TAGS) | set(rendering.CONTENT_DROPPED_TAGS) | set(PARSER_SPECIAL_TAGS)
    )
    for tag in every_tag:
        out.append(Shape(f"html: <{tag}> unclosed", html, _fixed(f"<{tag}>")))
    for tag in every_tag:
        out.append(Shape(f"html: <{tag}>x nested", html, _fixed(f"<{tag}>x")))
    out += [
        Shape("html: <div></span> (ignored end tags)", html, _fixed("<div></span>")),
        Shape("html: <div></b> (ignored end tags)", html, _fixed("<div></b>")),
        Shape("html: <div><table><td></div>", html, _fixed("<div><table><td></div>")),
        Shape("html: <li><dd>", html, _fixed("<li><dd>")),
        Shape("html: <p><table>", html, _fixed("<p><table>")),
        Shape("html: <svg><td>", html, _fixed("<svg><td>")),
        Shape("html: <svg> + <td> flood", html, lambda i: "<svg>" if i == 0 else "<td>"),
        Shape("html: <math><mi><td>", html, _fixed("<math><mi><td>")),
        Shape("html: <select><optgroup>", html, _fixed("<select><optgroup>")),
        Shape("html: <ruby><rt>", html, _fixed("<ruby><rt>")),
        Shape("html: <b id=N> distinct", html, _numbered("<b id={i}>")),
        Shape("html: <p><b id=N></p> (reopened)", html, _numbered("<p><b id={i}></p>")),
        Shape("html: <p><b></p>", html, _fixed("<p><b></p>")),
        Shape("html: <a id=N>", html, _numbered("<a id={i}>")),
        Shape("html: <a><table>", html, _fixed("<a><table>")),
        Shape("html: <b><div></b>", html, _fixed("<b><div></b>")),
        Shape("html: <b><p></b>x", html, _fixed("<b><p></b>x")),
        Shape("html: <table><tr><td> nested", html, _fixed("<table><tr><td>")),
        Shape("html: <table><caption>", html, _fixed("<table><caption>")),
        Shape("html: <ul><li> nested", html, _fixed("<ul><li>")),
        Shape("html: <div> then </div> flood", html, lambda i: "<div>" if i % 2 else "</div>"),
        Shape("html: </p> flood", html, _fixed("</p>")),
        Shape("html: </div> flood", html, _fixed("</div>")),
        Shape("html: </x> flood", html, _fixed("</x>")),
        Shape("html: <br> flood", html, _fixed("<br>")),
        Shape("html: <p>x</p> paragraphs", html, _fixed("<p>x</p>")),
        Shape("html: <a href> links", html, _numbered('<a href="https://e.com/{i}">l</a> ')),
        Shape("html: <img src> images", html, _numbered('<img src="https://e.com/{i}.png">')),
        Shape("html: <td> flat table", html, _fixed("<td>x")),
        Shape("html: <tr><td> rows", html, lambda i: "<table>" if i == 0 else "<tr><td>x"),
        Shape("html: layout tables nested", html, _fixed("<table role=presentation><tr><td>")),
        Shape("html: unclosed '<div' tag", html, lambda i: "<div " if i == 0 else "a "),
        Shape("html: unterminated attribute", html, lambda i: '<a href="' if i == 0 else "a"),
        Shape("html: many attributes", html, lambda i: "<a " if i == 0 else f"a{i}=1 "),
        Shape("html: duplicate attributes", html, lambda i: "<a " if i == 0 else "x=1 "),
        Shape("html: '<' flood", html, _fixed("<")),
        Shape("html: '</' flood", html, _fixed("</")),
        Shape("html: '<!--' flood", html, _fixed("<!--")),
        Shape("html: '<!' flood", html, _fixed("<!")),
        Shape("html: '<?' flood", html, _fixed("<?")),
        Shape("html: '<a' flood", html, _fixed("<a")),
        Shape("html: entity &amp; flood", html, _fixed("&amp;")),
        Shape("html: '&' flood", html, _fixed("&")),
        Shape("html: &#65; flood", html, _fixed("&#65;")),
        Shape("html: &notin flood", html, _fixed("&notin")),
        Shape("html: entities in attribute", html, lambda i: '<a title="' if i == 0 else "&amp;"),
        Shape("html: text", html, _fixed("word ")),
    ]
    md = "markdown"
    out += [
        Shape(f"md: {unit!r} run", md, _fixed(unit))
        for unit in (
            "[", "![", "]", "*", "_", "**", "__", "~~", "`", "<", ">", "(", "\\", "&", "|", "#",
            "*a", "_a", "a*", "a_", "*a ", "_a ", "**a", "[a", "![a", "[a]", "[a](", "](",
            "[a](b", "[a][", "[]", "<a", "<a@", "&amp;", "&#", "`a", "``a", "a\\", "a\n",
            "\n", " ", "a ", "> ", "- ", "1. ", "* ", "   ", "\t",
        )
    ]  # fmt: skip
    out += [
        Shape("md: '[*' mixed", md, _fixed("[*")),
        Shape("md: '*[' mixed", md, _fixed("*[")),
        Shape("md: '[`]`' code in labels", md, _fixed("[`]`")),
        Shape("md: nested blockquotes '>'*", md, lambda i: ">" if i else ""),
        Shape("md: link references", md, _numbered("[r{i}]: https://e.com/{i}\n")),
        Shape("md: reference uses", md, _numbered("[r{i}] ")),
        Shape(
            "md: reference definitions + uses",
            md,
            lambda i: "[x]: /u\n\n[x] " if i == 0 else "[x] ",
        ),
        Shape("md: '[' per line", md, _fixed("[a\n")),
        Shape("md: '> [' per line", md, _fixed("> [a\n")),
        Shape("md: list items", md, _fixed("- item\n")),
        Shape("md: nested list", md, lambda i: "  " * (i % 200) + "- a\n"),
        Shape(
            "md: table rows", md, lambda i: "| a | b |\n|---|---|\n" if i == 0 else "| x | y |\n"
        ),
        Shape("md: table columns", md, lambda i: "|a" if i else ""),
        Shape("md: wide table", md, lambda i: "|a|b|\n|-|-|\n" if i == 0 else "|x"),
        Shape("md: emphasis pairs", md, _fixed("*a* _b_ ")),
        Shape("md: e-mail flood", md, _numbered("u{i}@example.com ")),
        Shape("md: e-mail flood, no spaces", md, _numbered("u{i}@example.com,")),
        Shape("md: URL flood", md, _numbered("https://e.com/{i} ")),
        Shape("md: domain flood", md, _numbered("x{i}.com ")),
        Shape("md: www flood", md, _numbered("www.e{i}.com ")),
        Shape(
            "md: paragraphs", md, _fixed("Some text with **bold** and a [link](https://e.com).\n\n")
        ),
    ]
    text = "text"
    out += [
        Shape("text: e-mail flood", text, _numbered("u{i}@example.com ")),
        Shape("text: e-mail flood, no spaces", text, _numbered("u{i}@example.com,")),
        Shape("text: URL flood", text, _numbered("https://e.com/{i} ")),
        Shape("text: URL flood, no spaces", text, _numbered("https://e.com/{i},")),
        Shape("text: domain flood", text, _numbered("x{i}.com ")),
        Shape("text: domain flood, no spaces", text, _numbered("x{i}.com,")),
        Shape("text: www flood", text, _numbered("www.e{i}.com ")),
        Shape("text: mailto flood", text, _numbered("mailto:u{i}@e.com ")),
        Shape("text: '@' flood", text, _fixed("@")),
        Shape("text: '.' flood", text, _fixed(".")),
        Shape("text: 'a.' flood", text, _fixed("a.")),
        Shape("text: 'a@' flood", text, _fixed("a@")),
        Shape("text: ':/' flood", text, _fixed("://")),
        Shape("text: one long word", text, _fixed("x")),
        Shape("text: lines", text, _fixed("a line\n")),
        Shape("text: blank lines", text, _fixed("\n")),
        Shape("text: '<' flood", text, _fixed("<")),
        Shape("text: '&' flood", text, _fixed("&")),
        Shape("text: words", text, _fixed("word ")),
    ]
    return out


def body(shape: Shape, length: int) -> str:
    parts: list[str] = []
    size = 0
    i = 0
    while size < length:
        part = shape.unit(i)
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:length]


def sizes(largest: int, count: int) -> list[int]:
    return [largest >> shift for shift in range(count - 1, -1, -1)]


def _time_one(shape: Shape, length: int, engine: str) -> float:
    """The best of up to three renderings (fewer once they add up to 0.2 s)."""
    text = body(shape, length)
    best = float("inf")
    spent = 0.0
    runs = 0
    while runs < 1 or (runs < 3 and spent < 0.2):
        start = time.perf_counter()
        rendering.render_body(text, shape.content_format, engine=engine)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        runs += 1
    return best


def child(names: list[str], lengths: list[int], engine: str) -> None:
    """Time ``names`` in order, one line per rendering: ``[shape index, length, seconds]``."""
    by_name = {shape.name: shape for shape in shapes()}
    for index, name in enumerate(names):
        shape = by_name[name]
        rendering.render_body(body(shape, 1000), shape.content_format, engine=engine)  # warm up
        for length in lengths:
            print(json.dumps([index, length, _time_one(shape, length, engine)]), flush=True)


def _lines(stream: IO[str]) -> Iterator[str]:
    yield from iter(stream.readline, "")


def measure(
    selected: list[Shape], lengths: list[int], engine: str, limit: float
) -> Iterator[tuple[Shape, list[float | None]]]:
    """Seconds per length for each shape (``None``: beyond ``limit``).

    One child process times the shapes in turn; when a rendering takes longer than ``limit``
    it is killed and a new one goes on with the next shape.
    """
    pending = list(selected)
    while pending:
        command = [
            sys.executable, "-m", "bench.render_probe", "--child", "--engine", engine,
            "--sizes", ",".join(map(str, lengths)),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps([shape.name for shape in pending]))
        process.stdin.close()
        lines: queue.Queue[str | None] = queue.Queue()

        def read(stream: IO[str] = process.stdout, out: queue.Queue[str | None] = lines) -> None:
            for line in _lines(stream):
                out.put(line)
            out.put(None)

        threading.Thread(target=read, daemon=True).start()
        results: dict[int, dict[int, float]] = {}
        current = 0
        deadline = limit + 30  # the first answer also waits for the child's imports
        try:
            while True:
                line = lines.get(timeout=deadline)
                if line is None:
                    break
                index, length, seconds = json.loads(line)
                results.setdefault(index, {})[length] = seconds
                current = index
                deadline = limit
                if len(results[index]) == len(lengths):
                    current = index + 1
                    yield pending[index], [results[index][n] for n in lengths]
                    if current == len(pending):
                        break
        except queue.Empty:
            if current < len(pending):
                got = results.get(current, {})
                yield pending[current], [got.get(n) for n in lengths]
                current += 1
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
        pending = pending[current:]


def growth(times: list[float | None], floor: float) -> tuple[float | None, float | None]:
    """Growth per doubling from the first time above ``floor`` to the last one measured (the
    geometric mean of the ratios, so one noisy doubling does not decide), and the worst
    single doubling in that range."""
    measured = [i for i, t in enumerate(times) if t is not None]
    above = [i for i in measured if (times[i] or 0) >= floor]
    if not above or measured[-1] <= above[0]:
        return None, None
    first, last = above[0], measured[-1]
    low, high = times[first], times[last]
    assert low is not None and high is not None
    steps = [
        b / a
        for a, b in zip(times[first:last], times[first + 1 : last + 1], strict=False)
        if a is not None and b is not None and a > 0
    ]
    return (high / low) ** (1 / (last - first)), max(steps)


def _label(length: int) -> str:
    if length >= 1_000_000 and length % 1_000_000 == 0:
        return f"{length // 1_000_000}M"
    if length >= 1000:
        return f"{length / 1000:g}k"
    return str(length)


def _cell(seconds: float | None, limit: float) -> str:
    return f">{limit:g}" if seconds is None else f"{seconds:.4f}"


def _markdown_text(text: str) -> str:
    """``text`` for a Markdown table cell: every ASCII punctuation Markdown uses, escaped."""
    return re.sub(r"([\\`*_\[\]<>|~#!&])", r"\\\1", text).replace("\n", "\\n")


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _sortable(seconds: float | None) -> float:
    return float("inf") if seconds is None else seconds


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), "")
    except OSError:
        pass
    cpu = cpu or platform.processor()
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="sizes 25k … 200k")
    parser.add_argument("--largest", type=int, default=None, help="largest body, characters")
    parser.add_argument("--doublings", type=int, default=3)
    parser.add_argument("--engine", default="nh3", choices=rendering.SANITIZER_ENGINES)
    parser.add_argument("--shape", default="", help="only shapes whose name matches this regex")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per rendering")
    parser.add_argument(
        "--floor", type=float, default=0.02, help="growth ignores times below this (noise)"
    )
    parser.add_argument("--all", action="store_true", help="print every shape, not only slow ones")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(sys.stdin.read()), [int(n) for n in args.sizes.split(",")], args.engine)
        return 0
    largest = args.largest or (200_000 if args.quick else DEFAULT_MAX_BODY_CHARS)
    lengths = sizes(largest, args.doublings + 1)
    selected = [s for s in shapes() if re.search(args.shape, s.name)]
    print(f"Machine: {machine()}; engine {args.engine}; {len(selected)} shapes", file=sys.stderr)
    header = ["shape", *(_label(n) for n in lengths), "×/doubling", "worst step"]
    rows: list[tuple[Shape, list[float | None], float | None, float | None]] = []
    started = time.perf_counter()
    for shape, times in measure(selected, lengths, args.engine, args.limit):
        ratio, step = growth(times, args.floor)
        rows.append((shape, times, ratio, step))
        shown = " ".join(_cell(t, args.limit) for t in times)
        print(f"  {shape.name}: {shown}  ×{ratio or 0:.2f}", file=sys.stderr, flush=True)
    took = time.perf_counter() - started
    print(f"\nTotal {took:.0f} s\n", file=sys.stderr)

    def slow(row: tuple[Shape, list[float | None], float | None, float | None]) -> bool:
        times, ratio = row[1], row[2]
        return times[-1] is None or times[-1] > 0.5 or (ratio or 0) > 2.2

    shown_rows = rows if args.all else [row for row in rows if slow(row)]
    print(
        f"Engine `{args.engine}`, {machine()}. Seconds per rendering (best of up to 3); "
        f"growth per doubling from the first time ≥ {args.floor:g} s to the last; "
        f"{len(rows)} shapes in {took:.0f} s.\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for shape, times, ratio, step in shown_rows:
        cells = [_cell(t, args.limit) for t in times]
        cells += [_ratio(ratio), _ratio(step)]
        print(f"| {_markdown_text(shape.name)} | " + " | ".join(cells) + " |")
    if not args.all:
        print(
            f"\n{len(rows) - len(shown_rows)} more shapes take ≤ 0.5 s at {_label(largest)} and "
            "grow ≤ 2.2× per doubling (`--all` lists them)."
        )
    for content_format in rendering.CONTENT_FORMATS:
        of_format = [row for row in rows if row[0].content_format == content_format]
        if not of_format:
            continue
        worst_time = max(of_format, key=lambda row: _sortable(row[1][-1]))
        worst_ratio = max(of_format, key=lambda row: row[2] or 0)
        print(
            f"\n**{content_format}** ({len(of_format)} shapes): slowest at {_label(largest)}: "
            f"{worst_time[0].name} {_cell(worst_time[1][-1], args.limit)} s; "
            f"fastest growth: {worst_ratio[0].name} ×{_ratio(worst_ratio[2])} per doubling."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
