"""The page's words (web_client/static/words/en.js): every refusal code the server can
send has calm plain text there, as has every code the page makes itself, and no script
puts the server's own English (an error's or a notice's ``message``) on the page."""

from __future__ import annotations

import re
from pathlib import Path

from rooms.errors import ErrorCode
from server.errors import ServerCode

STATIC = Path(__file__).resolve().parents[2] / "web_client" / "static"


def _catalogue_section(name: str) -> set[str]:
    text = (STATIC / "words" / "en.js").read_text()
    body = re.search(rf"^  {name}: \{{\n(.*?)^  \}},", text, re.S | re.M)
    assert body is not None, name
    return set(re.findall(r"^    (\w+): ", body[1], re.M))


def test_every_error_code_has_words_for_people() -> None:
    errors = _catalogue_section("errors")
    missing = {str(code) for code in (*ErrorCode, *ServerCode)} - errors
    assert not missing, f"no words in web_client/static/words/en.js for {sorted(missing)}"


def test_every_code_the_page_makes_itself_has_words_too() -> None:
    made = {
        code
        for path in STATIC.glob("*.js")
        for code in re.findall(r'code: "([a-z_]+)"', path.read_text())
    }
    assert made  # offline, timeout, unreachable, unsupported, …
    assert made <= _catalogue_section("errors")


def test_no_script_shows_the_servers_english() -> None:
    shown = re.compile(r"(\.error|detail)\??\.message\b|\bbody\.(reason|detail)\b")
    offenders = [
        f"{path.name}:{number}"
        for path in STATIC.glob("*.js")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if shown.search(line)
    ]
    assert offenders == []
