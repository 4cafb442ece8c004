"""Unit tests of hooks/post_gen_project.py, imported from the unrendered template."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import string
import sys
import tomllib
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import OPTIONS, PASSWORD_RE, load_hook

post = load_hook("post_gen_project")

ANSWERS = {
    "project_name": "Team Portal",
    "project_slug": "team_portal",
    "admin_username": "admin",
    "admin_email": "admin@example.com",
    "roles": "admin, editor, viewer",
    "session_lifetime_days": "7",
    "registration": "invite_only",
    "captcha": "image",
}


def reference_verify(password: str, encoded: str, pepper: str) -> bool:
    """docs/architecture.md's bootstrap hash, written out independently of the hook."""
    scheme, iterations, salt, digest = encoded.split("$")
    assert scheme == "pbkdf2_sha256"
    key = pepper.encode()
    message = unicodedata.normalize("NFKC", password).encode()
    prehash = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest())
    expected = hashlib.pbkdf2_hmac("sha256", prehash, salt.encode(), int(iterations))
    return hmac.compare_digest(base64.b64decode(digest), expected)


# --- secrets -----------------------------------------------------------------


def test_new_secret_is_long_and_fresh():
    values = {post.new_secret() for _ in range(50)}
    assert len(values) == 50
    assert all(len(value.encode()) >= 48 for value in values)


def test_one_time_password_is_long_alphanumeric_and_fresh():
    values = {post.new_one_time_password() for _ in range(50)}
    assert len(values) == 50
    alphabet = set(string.ascii_letters + string.digits)
    assert all(len(value) >= 16 and set(value) <= alphabet for value in values)


def test_bootstrap_hash_format():
    scheme, iterations, salt, digest = post.bootstrap_hash("pw", "pepper").split("$")
    assert scheme == "pbkdf2_sha256"
    assert iterations == "600000"
    assert len(bytes.fromhex(salt)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32


@pytest.mark.parametrize("password", ["correct horse battery staple", "Пароль-ß-🚀", "x" * 500])
def test_bootstrap_hash_matches_the_documented_formula(password):
    encoded = post.bootstrap_hash(password, "a-pepper", iterations=1000)
    assert reference_verify(password, encoded, "a-pepper")
    assert not reference_verify(password + "!", encoded, "a-pepper")
    assert not reference_verify(password, encoded, "another-pepper")


def test_bootstrap_hash_is_deterministic_for_a_given_salt_and_salted_otherwise():
    one = post.bootstrap_hash("pw", "pepper", salt="abc", iterations=1000)
    assert one == post.bootstrap_hash("pw", "pepper", salt="abc", iterations=1000)
    assert one.startswith("pbkdf2_sha256$1000$abc$")
    assert post.bootstrap_hash("pw", "pepper") != post.bootstrap_hash("pw", "pepper")


def test_bootstrap_hash_normalizes_with_nfkc():
    ligature = post.bootstrap_hash("\ufb01le", "p", salt="s", iterations=1000)  # "ﬁle"
    assert ligature == post.bootstrap_hash("file", "p", salt="s", iterations=1000)


def test_bootstrap_hash_refuses_a_salt_with_the_separator():
    with pytest.raises(ValueError, match=r"\$"):
        post.bootstrap_hash("pw", "pepper", salt="a$b")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        'quote " inside',
        "back\\slash",
        "\\",
        '"""',
        "new\nline\r\ttab\b\f",
        "\x00\x01\x1f\x7f",
        "Café 🚀",
        "[section]\nkey = 'injected'",
    ],
)
def test_toml_string_round_trips(value):
    assert tomllib.loads(f"key = {post.toml_string(value)}")["key"] == value


def test_toml_string_refuses_lone_surrogates():
    with pytest.raises(ValueError):
        post.toml_string("\ud800")


def test_render_secrets_has_the_documented_sections():
    text = post.render_secrets(ANSWERS, cookie_secret="c" * 64, pepper="p" * 64, password_hash="h")
    assert tomllib.loads(text) == {
        "auth": {"cookie_secret": "c" * 64},
        "passwords": {"pepper": "p" * 64},
        "bootstrap_admin": {
            "username": "admin",
            "email": "admin@example.com",
            "password_hash": "h",
        },
    }
    assert text.startswith("#")
    assert "never commit" in text.lower()


def test_render_secrets_escapes_answers():
    answers = ANSWERS | {"admin_username": 'a"b\\c\n[auth]'}
    text = post.render_secrets(answers, cookie_secret="c", pepper="p", password_hash="h")
    assert tomllib.loads(text)["bootstrap_admin"]["username"] == 'a"b\\c\n[auth]'


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_write_secrets_is_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        path = post.write_secrets(tmp_path, "x = 1\n")
    finally:
        os.umask(old)
    assert path == tmp_path / ".streamlit" / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == "x = 1\n"


def test_write_secrets_uses_an_existing_streamlit_folder(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text("[server]\n", encoding="utf-8")
    post.write_secrets(tmp_path, "x = 1\n")
    assert (tmp_path / ".streamlit" / "config.toml").exists()


def test_write_secrets_never_overwrites(tmp_path):
    post.write_secrets(tmp_path, "first = 1\n")
    with pytest.raises(FileExistsError):
        post.write_secrets(tmp_path, "second = 2\n")
    assert (tmp_path / ".streamlit" / "secrets.toml").read_text(encoding="utf-8") == "first = 1\n"


# --- removing what was not chosen ----------------------------------------------


def make_tree(root: Path) -> None:
    (root / "auth" / "store").mkdir(parents=True)
    (root / "auth" / "store" / "sqlite.py").write_text("", encoding="utf-8")
    (root / "auth" / "store" / "yaml.py").write_text("", encoding="utf-8")
    (root / "oidc").mkdir()
    (root / "oidc" / "x.py").write_text("", encoding="utf-8")


def test_remove_paths_removes_files_and_folders(tmp_path):
    make_tree(tmp_path)
    post.remove_paths(tmp_path, ["auth/store/yaml.py", "oidc"])
    assert (tmp_path / "auth" / "store" / "sqlite.py").exists()
    assert not (tmp_path / "auth" / "store" / "yaml.py").exists()
    assert not (tmp_path / "oidc").exists()


@pytest.mark.parametrize("outside", ["..", "../elsewhere", ".", "", "/etc/passwd", "auth/../.."])
def test_remove_paths_refuses_anything_outside_the_project(tmp_path, outside):
    project = tmp_path / "project"
    project.mkdir()
    make_tree(project)
    with pytest.raises(ValueError, match="not inside the project"):
        post.remove_paths(project, [outside])
    assert (project / "oidc" / "x.py").exists()


def test_remove_paths_treats_a_missing_path_as_a_template_bug(tmp_path):
    with pytest.raises(FileNotFoundError):
        post.remove_paths(tmp_path, ["no_such_file.py"])


# --- next steps and main -------------------------------------------------------


def test_next_steps_say_everything_once(tmp_path):
    text = post.next_steps(ANSWERS | {"admin_username": "ops.lead"}, tmp_path, "Secret123Secret123")
    for expected in [
        f"cd {tmp_path}",
        "python3 -m venv .venv",
        "pip install -r requirements-dev.txt",
        "streamlit run streamlit_app.py",
        "http://localhost:8501",
        "sign in as ops.lead",
        "pytest",
        "README.md",
        "Community Cloud",
        "never commit",
    ]:
        assert expected in text
    assert text.count("Secret123Secret123") == 1
    assert PASSWORD_RE.findall(text) == ["Secret123Secret123"]


def test_next_steps_quote_a_folder_with_spaces(tmp_path):
    folder = tmp_path / "my apps" / "team_portal"
    assert f"cd '{folder}'" in post.next_steps(ANSWERS, folder, "pw")


def test_main_writes_secrets_and_prints_the_password_once(tmp_path, capsys, monkeypatch):
    # No template files here to remove or strip.
    monkeypatch.setattr(post, "remove_unchosen", lambda answers, options, project_dir: None)
    rendered = json.dumps(ANSWERS | {"_template": "x", "_options": OPTIONS})
    assert post.main(rendered, project_dir=tmp_path) == 0
    out, err = capsys.readouterr()
    (password,) = PASSWORD_RE.findall(out)
    assert out.count(password) == 1
    secrets_file = tmp_path / ".streamlit" / "secrets.toml"
    text = secrets_file.read_text(encoding="utf-8")
    assert password not in text
    values = tomllib.loads(text)
    admin = values["bootstrap_admin"]
    assert (admin["username"], admin["email"]) == ("admin", "admin@example.com")
    pepper = values["passwords"]["pepper"]
    assert values["auth"]["cookie_secret"] != pepper
    assert reference_verify(password, admin["password_hash"], pepper)
    assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == ["secrets.toml"]


def test_development_leftovers_never_reach_a_new_project(tmp_path):
    for leftover in ("__pycache__", "auth/__pycache__", ".pytest_cache", ".ruff_cache/0.1", "data"):
        (tmp_path / leftover).mkdir(parents=True)
        (tmp_path / leftover / "blob").write_bytes(b"\x00\xff")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[auth]\ncookie_secret = 'dev'\n")
    (tmp_path / "auth" / "passwords.py").write_text("# kept\n")
    post.remove_development_leftovers(tmp_path)
    remaining = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert remaining == [".streamlit", "auth", "auth/passwords.py"]


def test_only_the_top_level_data_folder_is_a_leftover(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "users.db").write_bytes(b"")
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / "data" / "fixture.yaml").write_text("users: {}\n", encoding="utf-8")
    post.remove_development_leftovers(tmp_path)
    assert not (tmp_path / "data").exists()
    assert (tmp_path / "tests" / "data" / "fixture.yaml").is_file()
