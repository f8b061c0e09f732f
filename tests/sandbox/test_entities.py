"""Telegram HTML parsing: plain text, UTF-16 entities and Telegram's parse errors."""

from __future__ import annotations

import pytest

from bot.sandbox.entities import (
    EntityParseError,
    FormattedText,
    command_entity,
    parse_html,
    strip_formatted,
    user_entities,
)


def test_plain_text_and_entities() -> None:
    parsed = parse_html('<b>Gras</b> et <a href="https://ex.org/?a=1&amp;b=2">lien</a> &lt;3')
    assert parsed.text == "Gras et lien <3"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://ex.org/?a=1&b=2"},
    ]


def test_offsets_count_utf16_units() -> None:
    parsed = parse_html("🧵 <i>fil</i>")
    assert parsed.entities == [{"type": "italic", "offset": 3, "length": 3}]


def test_nested_and_special_tags() -> None:
    parsed = parse_html(
        '<blockquote expandable><b>a<i>b</i></b></blockquote><span class="tg-spoiler">s</span>'
        '<pre><code class="language-python">x = 1</code></pre><code><b>no</b></code>'
    )
    assert parsed.text == "absx = 1no"
    types = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert ("expandable_blockquote", 0, 2) in types
    assert ("italic", 1, 1) in types
    assert ("spoiler", 2, 1) in types
    pre = next(e for e in parsed.entities if e["type"] == "pre")
    assert pre["language"] == "python"
    # Formatting inside code is dropped, as Telegram does.
    assert [e["type"] for e in parsed.entities if e["offset"] >= 8] == ["code"]


def test_numeric_and_named_entities() -> None:
    assert parse_html("&#233;t&#xE9; &quot;x&quot; &amp;").text == 'été "x" &'


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("Tom & Jerry", 'Character "&" must be escaped as "&amp;" at byte offset 4'),
        ("a > b", 'Character ">" must be escaped as "&gt;" at byte offset 2'),
        ("&nbsp;", 'Character "&" must be escaped as "&amp;" at byte offset 0'),
    ],
)
def test_rejected_html(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value) == message


def test_lenient_mode_keeps_bare_ampersand_and_gt() -> None:
    assert parse_html("Tom & Jerry > x", strict=False).text == "Tom & Jerry > x"


def test_strip_moves_entities() -> None:
    stripped = strip_formatted(
        FormattedText("  ab  ", [{"type": "bold", "offset": 1, "length": 3}])
    )
    assert stripped == FormattedText("ab", [{"type": "bold", "offset": 0, "length": 2}])


def test_command_entity() -> None:
    assert command_entity("/aide@tisserand_bot x") == {
        "type": "bot_command",
        "offset": 0,
        "length": 19,
    }
    assert command_entity("bonjour /aide") is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/aide", "/aide"),
        ("/aide@tisserand_bot", "/aide@tisserand_bot"),
        ("/aide foo", "/aide"),
        ("/aide,", "/aide"),
        ("/aide\nsuite", "/aide"),
        ("/aide@tisserand_bot, merci", "/aide@tisserand_bot"),
        ("/aide@", "/aide"),  # a lone @ is punctuation, not part of a username
        ("/a_1 x", "/a_1"),
        ("/" + "a" * 64, "/" + "a" * 64),
        ("/aide 🧵", "/aide"),
    ],
)
def test_command_followed_by_a_non_word_character(text: str, command: str) -> None:
    assert command_entity(text) == {"type": "bot_command", "offset": 0, "length": len(command)}


@pytest.mark.parametrize(
    "text",
    [
        "/filière",  # Telegram does not cut a word at its first non-ASCII letter
        "/enquête",
        "/café au lait",
        "/Ωmega",
        "/filie\u0301re",  # é decomposed: the combining accent belongs to the word
        "/aide@tisserand_botè",
        "/" + "a" * 65,  # longer than a command can be: no part of it is one
        "/",
        "/ aide",
        "aide",
    ],
)
def test_no_command_entity_when_the_word_goes_on(text: str) -> None:
    assert command_entity(text) is None


def test_user_entities_find_the_command_and_mentions() -> None:
    assert user_entities("/aide @claire_m et 🧵 @tisserand_bot.") == [
        {"type": "bot_command", "offset": 0, "length": 5},
        {"type": "mention", "offset": 6, "length": 9},
        {"type": "mention", "offset": 22, "length": 14},  # after a 2-unit emoji
    ]


@pytest.mark.parametrize(
    "text",
    [
        "écrire à claire@example.org",  # an address, not a mention
        "@abcd est trop court",  # usernames have at least 5 characters
        "@tisserand_botté",  # the word goes on
        "/aide@tisserand_bot",  # the command's own @username is not a mention
    ],
)
def test_what_is_not_a_mention(text: str) -> None:
    assert [e for e in user_entities(text) if e["type"] == "mention"] == []
