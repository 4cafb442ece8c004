"""Helpers for driving a baked app in a real browser: serve it, launch Chromium, bake it.

Shared by ``tests/test_browser.py`` and ``benchmarks/returning_user.py``. Chromium
comes from the system (Debian's ``chromium`` package) and is driven by the PyPI
``playwright`` package; ``playwright install`` is not needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
PASSWORD_RE = re.compile(r"One-time password: (\S+)")
# Tool caches a developer may have left in the template folder; cookiecutter would
# try to render their binary files, so a snapshot of the template leaves them out.
SNAPSHOT_IGNORE = (
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "*.py[cod]",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
HOW_TO_GET_A_BROWSER = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium`, or set CHROMIUM to its path) "
    "and Playwright for Python (`pip install playwright`; `playwright install` is not needed)"
)

START_TIMEOUT = 60.0  # seconds for `streamlit run` to answer /_stcore/health
UI_TIMEOUT_MS = 20_000  # milliseconds Playwright waits for anything on the page


# --- finding the browser -------------------------------------------------------


def chromium_path() -> str | None:
    """The Chromium executable: $CHROMIUM, else the Debian locations, else None."""
    configured = os.environ.get("CHROMIUM")
    candidates = [configured] if configured else []
    candidates += [*CHROMIUM_CANDIDATES, "chromium"]
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


def log_tail(path: Path | None, tail: int) -> str:
    """The end of a child process's log file ("" when there is none)."""
    if path is None or not path.exists():
        return ""
    return path.read_text(encoding="utf-8", errors="replace")[-tail:]


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, then SIGKILL after `timeout`; nothing when it is gone already."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def missing_browser_tools() -> str | None:
    """None when Chromium and Playwright are both there, else what is missing and how to get it."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright")
    if chromium_path() is None:
        missing.append("a Chromium executable")
    if not missing:
        return None
    return f"needs {' and '.join(missing)}: {HOW_TO_GET_A_BROWSER}"


def launch_chromium(playwright: Playwright, **options: Any) -> Browser:
    """Headless system Chromium with the flags that work in containers."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError(missing_browser_tools() or "no Chromium found")
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=list(CHROMIUM_ARGS), **options
    )


# --- serving a Streamlit script ------------------------------------------------------


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    """``streamlit run <script>`` as a child process with its own working folder."""

    cwd: Path
    script: str = "streamlit_app.py"
    port: int = 0
    python: str = sys.executable
    extra_args: Sequence[str] = ()
    # What follows the interpreter, before "run": Streamlit's command line, or a
    # wrapper script that takes the same arguments (benchmarks/timed_streamlit.py).
    launcher: Sequence[str] = ("-m", "streamlit")
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    log_path: Path | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = START_TIMEOUT) -> StreamlitServer:
        if self.port == 0:
            self.port = free_port()
        log_file = tempfile.NamedTemporaryFile(
            prefix=f"streamlit-{self.port}-", suffix=".log", delete=False
        )
        self.log_path = Path(log_file.name)
        env = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
        command = [
            self.python,
            *self.launcher,
            "run",
            self.script,
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            *self.extra_args,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        log_file.close()
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"{self.url}_stcore/health"
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"streamlit exited with {code} before answering:\n{self.log()}")
            try:
                with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{health} did not answer within {timeout:.0f}s:\n{self.log()}")
            time.sleep(0.2)

    def log(self, tail: int = 6000) -> str:
        """The end of what the server printed."""
        return log_tail(self.log_path, tail)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call twice."""
        process, self.process = self.process, None
        stop_process(process, timeout)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def __enter__(self) -> StreamlitServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --- baking outside pytest -----------------------------------------------------------


@dataclass
class BakedApp:
    project_dir: Path
    one_time_password: str


def bake_default(output_dir: Path, python: str = sys.executable) -> BakedApp:
    """Generate the default project into ``output_dir`` with cookiecutter as a child process.

    The template is baked from a snapshot (``output_dir/template``) without tool
    caches. For scripts; tests use the ``bake`` fixture from ``tests/conftest.py``.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    template = output_dir / "template"
    shutil.copytree(REPO_ROOT, template, ignore=shutil.ignore_patterns(*SNAPSHOT_IGNORE))
    generated = output_dir / "generated"
    generated.mkdir()
    home = output_dir / ".cookiecutter-home"
    home.mkdir(exist_ok=True)
    config = home / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(home / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(home / 'replay'))}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [python, "-m", "cookiecutter", "--no-input", "--config-file", str(config)]
        + ["--output-dir", str(generated), str(template)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cookiecutter failed:\n{result.stdout}\n{result.stderr}")
    passwords = PASSWORD_RE.findall(result.stdout)
    if len(passwords) != 1:
        raise RuntimeError(f"expected one 'One-time password:' line in:\n{result.stdout}")
    projects = [p for p in generated.iterdir() if (p / "streamlit_app.py").is_file()]
    if len(projects) != 1:
        raise RuntimeError(f"expected one generated project in {generated}, found {projects}")
    return BakedApp(projects[0], passwords[0])


# --- the app's own screens ------------------------------------------------------------


def home_heading(page: Page, display_name: str = "admin") -> Locator:
    """The Home page's heading (the set-password page also says "Welcome, ..." in a paragraph)."""
    return page.get_by_role("heading", name=f"Welcome, {display_name}")


def sign_in(page: Page, base_url: str, login: str, password: str) -> None:
    """Open the app and submit the sign-in form; returns once the form was sent."""
    page.goto(base_url)
    page.get_by_role("textbox", name="Username or email").fill(login)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def set_first_password(page: Page, password: str) -> None:
    """On "Set your password" (after a one-time password), choose ``password`` and save it."""
    page.get_by_role("heading", name="Set your password").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_role("textbox", name="New password").fill(password)
    page.get_by_role("textbox", name="Repeat it").fill(password)
    page.get_by_role("button", name="Save password").click()


# --- a real OpenID Connect provider on loopback (tests/test_browser_oidc.py) ----------

HOW_TO_GET_OIDC_MOCK = "pip install oidc-provider-mock (it is in requirements-dev.txt)"


def missing_oidc_provider() -> str | None:
    """None when the PyPI package oidc-provider-mock is importable, else how to get it."""
    import importlib.util

    if importlib.util.find_spec("oidc_provider_mock") is None:
        return f"needs the Python package oidc-provider-mock: {HOW_TO_GET_OIDC_MOCK}"
    return None


@dataclass
class OidcProviderMock:
    """``python -m oidc_provider_mock`` on 127.0.0.1 with predefined users (their claims)."""

    users: Sequence[dict[str, Any]] = ()
    port: int = 0
    python: str = sys.executable
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    log_path: Path | None = field(default=None, init=False)

    @property
    def metadata_url(self) -> str:
        # "localhost", like the app's redirect_uri: the browser keeps one host name.
        return f"http://localhost:{self.port}/.well-known/openid-configuration"

    def start(self, timeout: float = START_TIMEOUT) -> OidcProviderMock:
        if self.port == 0:
            self.port = free_port()
        log_file = tempfile.NamedTemporaryFile(
            prefix=f"oidc-{self.port}-", suffix=".log", delete=False
        )
        self.log_path = Path(log_file.name)
        command = [self.python, "-m", "oidc_provider_mock", "-p", str(self.port)]
        for claims in self.users:
            command += ["--user-claims", json.dumps(claims)]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/.well-known/openid-configuration"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc_provider_mock exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")
            time.sleep(0.2)

    def log(self, tail: int = 4000) -> str:
        return log_tail(self.log_path, tail)

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None


def add_oidc_secrets(project_dir: Path, redirect_uri: str, providers: dict[str, str]) -> None:
    """Set up OpenID Connect providers (name -> metadata URL) in a baked app's secrets.toml."""
    path = project_dir / ".streamlit" / "secrets.toml"
    text = path.read_text(encoding="utf-8")
    if "\n[auth]\n" not in text:
        raise RuntimeError(f"no [auth] table in {path}")
    text = text.replace("\n[auth]\n", f"\n[auth]\nredirect_uri = {json.dumps(redirect_uri)}\n", 1)
    for name, metadata_url in providers.items():
        text += (
            f"\n[auth.{name}]\n"
            f'client_id = "stauth-test-{name}"\n'
            f'client_secret = "stauth-test-secret-{name}"\n'
            f"server_metadata_url = {json.dumps(metadata_url)}\n"
        )
    path.write_text(text, encoding="utf-8")


# --- the admin console (Users page) ------------------------------------------------------

GRID_HEADER_PX = 35  # Streamlit's dataframe: header height and row height in pixels
GRID_ROW_PX = 35


def select_first_row(page: Page, table: Locator) -> None:
    """Tick the first row of a selectable st.dataframe (a canvas: click its row marker)."""
    table.wait_for(timeout=UI_TIMEOUT_MS)
    table.hover()
    box = table.bounding_box()
    assert box is not None, "the table is not on screen"
    page.mouse.click(box["x"] + 15, box["y"] + GRID_HEADER_PX + GRID_ROW_PX / 2)


def one_time_password_shown(page: Page) -> str:
    """The one-time password the Users page shows once after "Create"."""
    alert = page.get_by_text("Their one-time password")
    alert.wait_for(timeout=UI_TIMEOUT_MS)
    code = page.locator("[data-testid='stAlertContentWarning'] code").first
    return code.inner_text().strip()


# --- a real SMTP server on loopback (self-service and account browser tests) --------------


@contextlib.contextmanager
def smtp_inbox() -> Iterator[tuple[int, list]]:
    """aiosmtpd on 127.0.0.1 keeping every message: yields (port, messages).

    Raises ImportError without aiosmtpd; the caller decides between skip and fail.
    """
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    messages: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            content = envelope.content.replace(b"\r\n", b"\n")
            messages.append(email.message_from_bytes(content, policy=email.policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, messages
    finally:
        controller.stop()
