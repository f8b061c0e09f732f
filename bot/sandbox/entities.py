"""Telegram's text formatting rules, as the sandbox enforces them.

`parse_html` turns a `parse_mode="HTML"` text into what Telegram stores: the plain text a person
reads plus a list of MessageEntity dicts whose offsets and lengths are counted in UTF-16 code
units (Telegram's unit, which PTB relies on to rebuild `text_html`). It rejects what Telegram
rejects (unsupported tags, bad nesting, unclosed tags) with Telegram's wording, so that the bot's
escaping bugs fail in tests rather than in front of users.

One deliberate difference: in strict mode (the default) a bare ``>`` or ``&`` in text is an
error. Telegram's parser tolerates both, but its documentation requires them escaped, and a bare
one in the bot's output almost always means user input was interpolated without
`html.escape` (the same input with a ``<`` would break in production).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "FormattedText",
    "command_entity",
    "parse_html",
    "strip_formatted",
    "user_entities",
    "utf16_len",
]


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's own wording."""


@dataclass
class FormattedText:
    """Text as Telegram stores it: plain characters plus MessageEntity dicts."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


# Telegram's supported tags and the entity type each produces (span is checked separately:
# only class="tg-spoiler" is allowed).
_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

# Only these named entities are decoded by Telegram; all numeric ones are.
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]{0,31}));")
# A command word and its optional @username, each taken whole (possessive: no backtracking to
# a shorter command when the word goes on, as in "/filière").
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]++(?:@[A-Za-z0-9_]++)?+")
_COMMAND_MAX = 64
# A mention: "@" and a username (5 to 32 of A-Z a-z 0-9 _) inside no longer word.
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, index: int) -> int:
    # Telegram reports parse errors as UTF-8 byte offsets into the request text.
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(source: str, index: int) -> tuple[str | None, int]:
    """Decode the HTML entity starting at `index` ('&'): (character, length) or (None, 0)."""
    match = _ENTITY_RE.match(source, index)
    if match is None:
        return None, 0
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return (char, match.end() - index) if char is not None else (None, 0)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None, 0
    return chr(code), match.end() - index


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the output where the tag opened
    first_child: int  # index in the entity list of the first entity opened inside
    expandable: bool = False
    language: str = ""


def _unclosed(tag: str, begin: int, source: str) -> EntityParseError:
    return EntityParseError(
        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
    )


def _parse_attributes(
    source: str, index: int, tag: str, begin: int, strict: bool
) -> tuple[dict[str, str], int]:
    """Parse attributes from `index` up to the closing '>'; return them and the index after it."""
    attributes: dict[str, str] = {}
    length = len(source)
    while True:
        while index < length and source[index].isspace():
            index += 1
        if index >= length:
            raise _unclosed(tag, begin, source)
        if source[index] == ">":
            return attributes, index + 1
        name_start = index
        while index < length and not source[index].isspace() and source[index] not in "=>":
            index += 1
        name = source[name_start:index].lower()
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        while index < length and source[index].isspace():
            index += 1
        if index >= length:
            raise _unclosed(tag, begin, source)
        if source[index] != "=":
            attributes[name] = ""  # attribute without value, like <blockquote expandable>
            continue
        index += 1
        while index < length and source[index].isspace():
            index += 1
        if index >= length:
            raise _unclosed(tag, begin, source)
        if source[index] in "\"'":
            quote = source[index]
            index += 1
            value: list[str] = []
            while index < length and source[index] != quote:
                if source[index] == "&":
                    char, size = _decode_entity(source, index)
                    if char is not None:
                        value.append(char)
                        index += size
                        continue
                    if strict:
                        raise EntityParseError(
                            'Character "&" must be escaped as "&amp;" at byte offset '
                            f"{_byte_offset(source, index)}"
                        )
                value.append(source[index])
                index += 1
            if index >= length:
                raise _unclosed(tag, begin, source)
            index += 1
            attributes[name] = "".join(value)
        else:
            # An unquoted "name token": letters, digits, periods and hyphens only.
            token_start = index
            while index < length and (source[index].isalnum() or source[index] in ".-"):
                index += 1
            if index >= length:
                raise _unclosed(tag, begin, source)
            if not (source[index].isspace() or source[index] == ">"):
                raise EntityParseError(
                    "Unexpected end of name token at byte offset "
                    f"{_byte_offset(source, token_start)}"
                )
            attributes[name] = source[token_start:index].lower()


def _open_tag(
    tag: str, attributes: dict[str, str], offset: int, first_child: int, source: str, begin: int
) -> _OpenTag:
    opened = _OpenTag(name=tag, argument="", offset=offset, first_child=first_child)
    if tag == "a":
        opened.argument = attributes.get("href", "")
    elif tag == "span":
        if attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
    elif tag == "code":
        css = attributes.get("class", "")
        if css.startswith("language-"):
            opened.language = css.removeprefix("language-")
    elif tag == "tg-emoji":
        opened.argument = attributes.get("emoji-id", "")
    elif tag == "blockquote":
        opened.expandable = "expandable" in attributes
    return opened


def _close_tag(opened: _OpenTag, end: int, stack: list[_OpenTag], out: list[dict]) -> None:
    """Append the entity for a closed tag (Telegram drops empty ones)."""
    if opened.name in ("code", "pre"):
        # Telegram allows no formatting inside code blocks: nested entities are dropped.
        del out[opened.first_child :]
    if end <= opened.offset:
        return
    entity: dict[str, Any] = {
        "type": _TAG_TYPES[opened.name],
        "offset": opened.offset,
        "length": end - opened.offset,
    }
    if opened.name == "a":
        if not opened.argument:
            return  # <a> without href carries no link
        entity["url"] = opened.argument
    elif opened.name == "code" and opened.language and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> is one pre entity with a language, not two.
        stack[-1].language = opened.language
        return
    elif opened.name == "pre" and opened.language:
        entity["language"] = opened.language
    elif opened.name == "blockquote" and opened.expandable:
        entity["type"] = "expandable_blockquote"
    elif opened.name == "tg-emoji":
        if not opened.argument:
            return
        entity["custom_emoji_id"] = opened.argument
    out.append(entity)


def parse_html(source: str, *, strict: bool = True) -> FormattedText:
    """Parse Telegram HTML; raise EntityParseError with Telegram's message when invalid."""
    chars: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char == "&":
            decoded, size = _decode_entity(source, index)
            if decoded is not None:
                chars.append(decoded)
                utf16 += utf16_len(decoded)
                index += size
                continue
            if strict:
                raise EntityParseError(
                    'Character "&" must be escaped as "&amp;" at byte offset '
                    f"{_byte_offset(source, index)}"
                )
        if char == ">" and strict:
            raise EntityParseError(
                f'Character ">" must be escaped as "&gt;" at byte offset '
                f"{_byte_offset(source, index)}"
            )
        if char != "<":
            chars.append(char)
            utf16 += utf16_len(char)
            index += 1
            continue

        begin = index
        index += 1
        if index < length and source[index] == "/":
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(source, begin)}"
                )
            name_end = index + 1
            while name_end < length and not source[name_end].isspace() and source[name_end] != ">":
                name_end += 1
            end_name = source[index + 1 : name_end].lower()
            while name_end < length and source[name_end].isspace():
                name_end += 1
            if name_end >= length or source[name_end] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(source, begin)}"
                )
            opened = stack.pop()
            if end_name and end_name != opened.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{opened.name}>", found "</{end_name}>"'
                )
            _close_tag(opened, utf16, stack, entities)
            index = name_end + 1
            continue

        name_end = index
        while name_end < length and not source[name_end].isspace() and source[name_end] != ">":
            name_end += 1
        tag = source[index:name_end].lower()
        if name_end >= length:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        if tag not in _TAG_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
            )
        attributes, index = _parse_attributes(source, name_end, tag, begin, strict)
        stack.append(_open_tag(tag, attributes, utf16, len(entities), source, begin))

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText("".join(chars), entities)


def strip_formatted(formatted: FormattedText) -> FormattedText:
    """Trim leading/trailing whitespace like Telegram does, moving entities accordingly."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - lead)
        end = min(limit, entity["offset"] + entity["length"] - lead)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def _is_word_character(char: str) -> bool:
    # Unicode letters and digits, "_", and combining marks (a decomposed "é" is one letter).
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def command_entity(text: str) -> dict[str, Any] | None:
    """The bot_command entity Telegram attaches when a user's text starts with a command.

    A command is "/" and 1 to 64 of A-Z a-z 0-9 _, optionally "@username", and it must end
    the word: Telegram gives "/filière" or "/aide@botè" no entity at all (it never cuts them
    to "/fili" or "/aide"), while "/aide", "/aide foo" and "/aide," get one.
    """
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    command = match.group(0)
    if len(command.partition("@")[0]) - 1 > _COMMAND_MAX:
        return None
    if match.end() < len(text) and _is_word_character(text[match.end()]):
        return None
    return {"type": "bot_command", "offset": 0, "length": utf16_len(command)}


def user_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram finds in a user's plain text: a leading command, @mentions."""
    entities: list[dict[str, Any]] = []
    command = command_entity(text)
    if command is not None:
        entities.append(command)
    for match in _MENTION_RE.finditer(text):
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


def mentioned(text: str) -> list[str]:
    """The usernames @mentioned in a user's plain text (without the "@")."""
    return [match.group(0)[1:] for match in _MENTION_RE.finditer(text)]
