"""The README's Quick start and Recording API run as written, on the built wheel alone.

The two ``python`` blocks become ``app.py`` and ``record.py`` in an empty folder; a fresh
virtual environment gets the wheel and whatever it declares (no test dependencies, so a
missing requirement fails here); then the README's commands run, and an operator logs in
through the README's login route and sees the recorded conversation.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from support.wheel import ROOT, built_wheel

QUICK_START = "Quick start for a host app"
RECORDING = "Recording API"
UPGRADE = "flask --app app aiconvos db upgrade"
LIST = "/admin/ai-conversations/"

#: Runs inside the fresh environment, next to app.py; prints what the test checks as JSON.
CHECK = textwrap.dedent(
    """
    import importlib.util, json, sys
    import flask_aiconvos
    from app import app

    conversation_id = sys.argv[1]
    anonymous = app.test_client().get("/admin/ai-conversations/")
    client = app.test_client()
    login = client.post(
        "/login?next=/admin/ai-conversations/",
        data={"username": "operator", "password": "operator"},
    )
    listing = client.get("/admin/ai-conversations/")
    timeline = client.get("/admin/ai-conversations/details/?id=" + conversation_id)
    print(json.dumps({
        "package": flask_aiconvos.__file__,
        "flask_babel": importlib.util.find_spec("flask_babel") is not None,
        "anonymous": [anonymous.status_code, anonymous.headers.get("Location")],
        "login": [login.status_code, login.headers.get("Location")],
        "list": [listing.status_code, listing.get_data(as_text=True)],
        "timeline": timeline.status_code,
    }))
    """
)


def readme_section(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README.md has no section '## {heading}'"
    return match.group(1)


def python_block(heading: str) -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", readme_section(heading), re.S | re.M)
    assert len(blocks) == 1, (
        f"README.md section '{heading}' must hold exactly one ```python block "
        f"(the file this test runs), found {len(blocks)}"
    )
    return blocks[0]


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    )
    return result


def test_the_blocks_are_there():
    assert "app = Flask(" in python_block(QUICK_START)
    assert "from app import" in python_block(RECORDING)
    assert UPGRADE in readme_section(QUICK_START)


@pytest.mark.slow
def test_readme_quick_start_runs_on_the_wheel(tmp_path, tmp_path_factory):
    app_py, record_py = python_block(QUICK_START), python_block(RECORDING)
    wheel = built_wheel(tmp_path_factory)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder().create(env_dir)  # without pip of its own: ensurepip alone takes 10 s
    bin_dir = env_dir / "bin"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "FLASK_", "VIRTUAL_ENV", "SQLALCHEMY", "AICONVOS_"))
    }
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(env_dir))
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    # This environment's pip installs into the new one (--python): only the wheel and what it
    # declares end up there.
    pip = [sys.executable, "-m", "pip", "--python", str(bin_dir / "python")]
    run([*pip, "install", "--quiet", str(wheel)], tmp_path, env)

    project = tmp_path / "host"
    project.mkdir()
    (project / "app.py").write_text(app_py, encoding="utf-8")
    (project / "record.py").write_text(record_py, encoding="utf-8")

    run([str(bin_dir / "flask"), *UPGRADE.split()[1:]], project, env)
    assert (project / "instance" / "app.db").is_file()
    recorded = run([str(bin_dir / "python"), "record.py"], project, env)
    (conversation_id,) = re.findall(r"recorded conversation (\d+)", recorded.stdout)

    check = run([str(bin_dir / "python"), "-c", CHECK, conversation_id], project, env)
    pages = json.loads(check.stdout.strip().splitlines()[-1])
    assert pages["package"].startswith(str(env_dir)), pages["package"]

    status, location = pages["anonymous"]
    assert status == 302, f"anonymous visitor got {status}, not a redirect to the login page"
    assert urlsplit(location).path == "/login" and "next=" in location

    status, location = pages["login"]
    assert status == 302 and urlsplit(location).path == LIST, pages["login"]

    status, html = pages["list"]
    assert status == 200, html[-2000:]
    soup = BeautifulSoup(html, "html.parser")
    row = soup.select_one(f'tr[data-conversation-id="{conversation_id}"]')
    assert row is not None, "the recorded conversation is not in the list"
    assert "Hi! Do you have a desk for March?" in row.get_text(" ", strip=True)
    assert row.select_one("[data-escalated]") is not None
    # booking_detail does not exist in the Quick start: the badge is text, and a warning is
    # logged exactly as the README says.
    badge = row.select_one('[data-conversion="booking"]')
    assert badge is not None and badge.name != "a"
    warnings = set(re.findall(r"^aiconvos: cannot build .*$", check.stderr, re.M))
    assert warnings == {"aiconvos: cannot build a booking link with endpoint 'booking_detail'"}
    assert all(f"`{line}`" in readme_section(QUICK_START) for line in warnings)

    assert pages["timeline"] == 200
    # Without the i18n extra (Flask-Babel is not installed here) the screens are English.
    assert pages["flask_babel"] is False
    assert soup.select_one('label[for="aiconvos-search"]').get_text() == "Search conversations"
    assert "Babel" not in check.stderr
