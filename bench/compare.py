"""Time list pages of several commits on the same database, in alternating processes.

A change's cost or saving is often a millisecond or two, less than what separates two runs of
``bench.run`` on a shared machine. This checks each commit out in a temporary worktree and
times each page in a fresh process per commit, the commits taking turns, round after round:
whatever the machine does meanwhile falls on all of them alike.

    python -m bench.compare --database-url sqlite:////tmp/b1m.sqlite 61b84b2 HEAD
    python -m bench.compare --database-url URL --timezone Asia/Kolkata --path '?range=this_month' \\
        61b84b2 HEAD~2 HEAD

Each figure is the median over the rounds of each process's median of ``--requests`` requests
(after ten warm-up requests), with the lowest and highest; the last column is each commit
against the first. A commit whose ``bench.run.build_app`` takes no ``timezone`` (0.1) gets the
zone through its app's configuration instead.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: Run inside a commit's worktree: prints the median milliseconds of one page.
TIMER = r"""
import inspect, statistics, sys, time
from datetime import datetime
sys.path.insert(0, ".")
import bench.run as run

url, path, zone, requests, now = sys.argv[1:6]
now = datetime.fromisoformat(now)
if "timezone" in inspect.signature(run.build_app).parameters:
    app = run.build_app(url, now, timezone=zone)[0]
else:
    class ZonedFlask(run.Flask):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.config["AICONVOS_TIMEZONE"] = zone

    run.Flask = ZonedFlask
    app = run.build_app(url, now)[0]
if "babel" not in app.extensions:
    from flask_babel import Babel

    Babel(app)
client = app.test_client()


def get():
    with app.app_context():
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")


for _ in range(10):
    get()
samples = []
for _ in range(int(requests)):
    began = time.perf_counter()
    get()
    samples.append((time.perf_counter() - began) * 1000)
print(statistics.median(samples))
"""

LIST_URL = "/admin/ai-conversations/"


def worktree(repository: Path, commit: str, into: Path) -> Path:
    place = into / commit.replace("/", "_").replace("~", "-").replace("^", "-")
    subprocess.run(
        ["git", "-C", str(repository), "worktree", "add", "--detach", "-q", str(place), commit],
        check=True,
    )
    return place


def time_page(place: Path, args: argparse.Namespace, path: str) -> float:
    command = [
        sys.executable, "-c", TIMER, args.database_url, path, args.timezone,
        str(args.requests), args.now,
    ]  # fmt: skip
    done = subprocess.run(command, cwd=place, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{place.name}: {done.stderr.strip().splitlines()[-1:]}")
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commits", nargs="+", help="commits to compare, the first the reference")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument(
        "--path", action="append", help="query string(s) of the list page (default: none)"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per process")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--now", default="2026-12-02T20:00:00+00:00", help="the apps' clock")
    args = parser.parse_args(argv)
    paths = [LIST_URL + query for query in (args.path or [""])]
    repository = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="aiconvos-compare-") as scratch:
        places = [worktree(repository, commit, Path(scratch)) for commit in args.commits]
        try:
            found: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for path in paths:
                    for commit, place in zip(args.commits, places, strict=True):
                        found.setdefault((path, commit), []).append(time_page(place, args, path))
        finally:
            for place in places:
                subprocess.run(
                    ["git", "-C", str(repository), "worktree", "remove", "--force", str(place)],
                    check=False,
                )
    print(f"{args.database_url}, {args.timezone}: median ms of {args.rounds} processes")
    print("| page | " + " | ".join(args.commits) + " | " + " | ".join(
        f"{commit} − {args.commits[0]}" for commit in args.commits[1:]
    ) + " |")  # fmt: skip
    print("|---|" + "---:|" * (2 * len(args.commits) - 1))
    for path in paths:
        medians = [statistics.median(found[(path, commit)]) for commit in args.commits]
        cells = [
            f"{median:.1f} ({min(found[(path, c)]):.1f}–{max(found[(path, c)]):.1f})"
            for median, c in zip(medians, args.commits, strict=True)
        ]
        changes = [f"{median - medians[0]:+.1f}" for median in medians[1:]]
        print(f"| `{path}` | " + " | ".join(cells + changes) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
