"""Browser tests: Debian's chromium driven by Playwright against a live server on
loopback. They skip, saying why, only where chromium or Playwright is missing."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_test_app, reset_database

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


class LiveServer(str):
    """The server's base URL, carrying its app for tests that must read what it wrote
    (the outbox, say) the way a person would read her SMS."""

    app = None


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    reason = _skip_reason()
    if reason and os.environ.get("MATCHMAKER_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests are required here (.ci/run) but cannot run: {reason}")
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("live")
    app = make_test_app(str(tmp), f"sqlite:///{tmp}/live.db", TESTING=False, SERVER_NAME=None)
    reset_database(app)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    yield url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _open_page(browser, request, suffix: str, **context_args):
    """A fresh context and page; a screenshot is kept when the test fails."""
    context = browser.new_context(locale="zh-CN", **context_args)
    pg = context.new_page()
    # The Content-Security-Policy refuses inline style and script; anything it refused on
    # a page of the journey is a page that looks or works wrong in a real browser.
    refused: list[str] = []
    pg.on("console", lambda msg: refused.append(f"{pg.url}: {msg.text}")
          if "Content Security Policy" in msg.text else None)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        os.makedirs(ARTIFACTS, exist_ok=True)
        pg.screenshot(path=os.path.join(ARTIFACTS, f"{request.node.name}{suffix}.png"),
                      full_page=True)
    context.close()
    assert refused == [], "the CSP refused something on a page"


@pytest.fixture
def page(browser, request):
    yield from _open_page(browser, request, "", viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser, request):
    """A page in a phone-sized window (touch, 390×844), as on a volunteer's phone."""
    yield from _open_page(browser, request, "-phone", viewport={"width": 390, "height": 844},
                          is_mobile=True, has_touch=True, device_scale_factor=2)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def set_password_and_log_in(phone, link: str, username: str, password: str) -> None:
    """On her phone: the link from the SMS, the password twice, then log in with it."""
    phone.goto(link)
    phone.fill("#password", password)
    phone.fill("#confirm", password)
    phone.click("button.primary")
    phone.wait_for_url("**/login*")
    phone.fill("#username", username)
    phone.fill("#password", password)
    phone.click("button.primary")
