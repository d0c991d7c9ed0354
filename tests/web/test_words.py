"""The page's words (web_client/static/words/en.js): every refusal code the server can
send has calm plain text there, as has every code the page makes itself, and no script
puts the server's own English (an error's or a notice's ``message``) on the page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rooms.errors import ErrorCode
from rooms.identity import TileColour
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


def _scripts_matching(pattern: str) -> list[str]:
    """Where (file:line) a line of the page's scripts matches ``pattern``."""
    found = re.compile(pattern)
    return [
        f"{path.name}:{number}"
        for path in STATIC.glob("*.js")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if found.search(line)
    ]


def test_no_script_shows_the_servers_english() -> None:
    assert _scripts_matching(r"(\.error|detail)\??\.message\b|\bbody\.(reason|detail)\b") == []


def test_no_script_announces_in_its_own_english() -> None:
    """Announcements of the room's events take their words from the catalogue
    (``say("events.…")``): a sentence written in a script could not be translated."""
    assert _scripts_matching(r"announce\(\s*[\"'`]") == []


def test_no_script_of_the_pages_writes_a_sentence_of_its_own() -> None:
    """What the room page, /verify and /meetings show comes from the catalogue: a literal that reads
    as words (a capital, then a word, a space and another) in a script could not be
    translated. The quick exit's "New tab" is a disguise, not words for the person."""
    sentence = r"[\"'`][A-Z][a-z']+ [a-z]+[^\"'`]*[\"'`]"
    found = [place for place in _scripts_matching(sentence) if not place.startswith("words.js:")]
    lines = {place: _line(place) for place in found}
    assert [p for p, line in lines.items() if '"New tab"' not in line and not _comment(line)] == []


def _line(place: str) -> str:
    name, number = place.split(":")
    return (STATIC / name).read_text().splitlines()[int(number) - 1]


def _comment(line: str) -> bool:
    return line.lstrip().startswith("//")


WORDS_CHECK = """
import { list, ordinal, say } from "./words.js";
console.log(JSON.stringify({
  ordinals: [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal),
  names: [list(["Sam"]), list(["Sam", "Kim"]), list(["Sam", "Kim", "Lee"])],
  one: say("events.reactions", {list: list([say("events.reaction.heart", {count: 1}),
                                          say("events.reaction.clap", {count: 3})])}),
  waiting: [1, 2].map((count) => say("events.waiting_arrived", {names: "Lee", count})),
  missing: (() => { try { say("events.no_such_thing"); return "said"; }
                    catch (error) { return String(error.message); } })(),
}));
"""


def test_the_catalogue_says_plurals_ordinals_and_lists_by_the_languages_rules() -> None:
    node = shutil.which("node")
    assert node is not None, "node is not installed: run `make test`, which installs it"
    result = subprocess.run(
        [node, "--input-type=module", "-e", WORDS_CHECK],
        cwd=STATIC,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    said = json.loads(result.stdout)
    assert said["ordinals"] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip
    assert said["names"] == ["Sam", "Sam and Kim", "Sam, Kim, and Lee"]
    assert said["one"] == "Reactions: a heart and 3 claps"
    assert said["waiting"] == ["Lee is in the waiting room.", "Lee are in the waiting room."]
    assert said["missing"] == "no words for events.no_such_thing"


def test_the_join_form_offers_exactly_the_tile_colours_the_server_takes() -> None:
    offered = re.search(r"const TILE_COLOURS = \[(.*?)\];", (STATIC / "join.js").read_text())
    assert offered is not None
    assert re.findall(r'"(\w+)"', offered[1]) == [str(colour) for colour in TileColour]
    named = re.search(r"^  colours: \{(.*?)\},$", (STATIC / "words" / "en.js").read_text(), re.M)
    assert named is not None
    assert re.findall(r"(\w+): ", named[1]) == [str(colour) for colour in TileColour]


class _Texts(HTMLParser):
    """Each element's own text (its children's excluded) and attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.found: list[tuple[str, dict[str, str | None], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"meta", "link", "input", "br", "img"}:
            self.open.append((tag, dict(attrs), []))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, attrs, texts = self.open.pop()
            self.found.append((name, attrs, " ".join("".join(texts).split())))
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


@pytest.mark.parametrize(
    ("html", "section"), [("index.html", "page"), ("meetings.html", "meetings.page")]
)
def test_every_label_of_the_page_is_in_the_catalogue_word_for_word(html: str, section: str) -> None:
    """Each piece of text in the page (but key names, the brand and the swatches' "Aa")
    is marked ``data-words="<section>.<key>"`` and the catalogue's section says the same,
    so a translation covers the whole page."""
    indent = "  " * (section.count(".") + 1)
    name = section.rsplit(".", 1)[-1]
    catalogue = (STATIC / "words" / "en.js").read_text()
    body = re.search(rf"^{indent}{name}: \{{\n(.*?)^{indent}\}},", catalogue, re.S | re.M)
    assert body is not None
    entry = rf'^{indent}  (\w+): (".*"),$'
    page = {key: json.loads(text) for key, text in re.findall(entry, body[1], re.M)}
    parser = _Texts()
    parser.feed((STATIC.parent / html).read_text())
    unmarked, differ = [], []
    for tag, attrs, text in parser.found:
        for attribute, marker in (("aria-label", "data-words-label"),):
            if (
                attrs.get(attribute)
                and page.get(str(attrs.get(marker, "")).removeprefix(f"{section}."))
                != attrs[attribute]
            ):
                differ.append(f"{attribute}={attrs[attribute]!r}")
        if (
            not re.search(r"\w", text)
            or tag in {"kbd", "title", "script"}
            or text in {"Aa", "Hearth"}
        ):
            continue
        key = str(attrs.get("data-words", "")).removeprefix(f"{section}.")
        if not key:
            unmarked.append(text)
        elif page.get(key) != text:
            differ.append(f"{key}: {text!r} != {page.get(key)!r}")
    assert unmarked == []
    assert differ == []
