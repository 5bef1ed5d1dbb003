"""The built wheel carries the templates and migrations: install it (not editable) and use it."""

from __future__ import annotations

import subprocess
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest
from support.wheel import built_wheel

CHECK = textwrap.dedent(
    """
    import gettext
    import sys
    from pathlib import Path

    import flask_aiconvos
    from flask import Flask, request
    from flask_admin import Admin
    from flask_babel import Babel
    from flask_sqlalchemy import SQLAlchemy

    from flask_aiconvos import AIConversations
    from flask_aiconvos.migration import upgrade

    package = Path(flask_aiconvos.__file__).parent
    assert str(package).startswith(sys.prefix), package
    assert (package / "py.typed").is_file()
    assert (package / "templates" / "aiconvos" / "list.html").is_file()
    assert (package / "migrations" / "env.py").is_file()
    for language in ("fr", "es", "de"):
        catalog = package / "translations" / language / "LC_MESSAGES" / "flask_aiconvos.mo"
        assert catalog.is_file(), catalog

    app = Flask("wheel_host")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite:///" + sys.argv[1], SECRET_KEY="x")
    Babel(app, locale_selector=lambda: request.args.get("lang"))
    db = SQLAlchemy(app)
    ext = AIConversations(app, db=db, admin=Admin(app), role_checker=lambda user, role: True)
    with app.app_context():
        upgrade()
        conv = ext.start_conversation(channel="chat", origin="portal_chat", subject="From the wheel")
        ext.add_message(conv.id, sender="customer", body="**hello**", content_format="markdown")
    client = app.test_client()
    listing = client.get("/admin/ai-conversations/")
    assert listing.status_code == 200, listing.status_code
    assert "From the wheel" in listing.get_data(as_text=True)
    detail = client.get(f"/admin/ai-conversations/details/?id={conv.id}")
    assert detail.status_code == 200 and "<strong>hello</strong>" in detail.get_data(as_text=True)
    # The French catalog compiled into the wheel is the one the page speaks.
    french = gettext.translation("flask_aiconvos", package / "translations", ["fr"])
    search = french.gettext("Search conversations")
    assert search != "Search conversations"
    listing = client.get("/admin/ai-conversations/?lang=fr")
    assert listing.status_code == 200 and search in listing.get_data(as_text=True)
    print("wheel ok", package)
    """
)


@pytest.mark.slow
def test_wheel_installs_and_renders_a_page(tmp_path, tmp_path_factory):
    wheel = built_wheel(tmp_path_factory)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The dependencies come from this test environment (no network needed); the package itself
    # comes only from the wheel.
    purelib = Path(sysconfig.get_paths()["purelib"])
    new_purelib = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (new_purelib / "test_dependencies.pth").write_text(str(purelib) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run(
        [str(python), "-c", CHECK, str(tmp_path / "wheel.db")],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wheel ok" in result.stdout
    assert str(env_dir) in result.stdout


@pytest.mark.slow
def test_wheel_declares_the_mit_license(tmp_path_factory):
    with zipfile.ZipFile(built_wheel(tmp_path_factory)) as wheel:
        names = wheel.namelist()
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        headers = wheel.read(metadata).decode().split("\n\n", 1)[0].splitlines()
        (license_file,) = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
        text = wheel.read(license_file).decode()
    assert "License-Expression: MIT" in headers
    assert "License-File: LICENSE" in headers
    assert not [line for line in headers if line.startswith("Classifier: License ::")]
    assert text.startswith("MIT License") and "The flask-aiconvos authors" in text
