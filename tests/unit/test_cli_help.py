"""Every command and every option of `tisserand` says what it does, in French."""

from __future__ import annotations

import argparse

from bot.cli import _parser


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_command_and_option_is_described_in_french() -> None:
    parsers = _parsers(_parser())
    assert {p.prog for p in parsers} >= {
        "tisserand",
        "tisserand run",
        "tisserand demo",
        "tisserand shell",
        "tisserand sandbox",
        "tisserand db",
        "tisserand db upgrade",
    }
    for parser in parsers:
        assert parser.description, parser.prog
        for action in parser._actions:
            assert action.help, (parser.prog, action.option_strings or action.dest)
            assert " the " not in f" {action.help} ", (parser.prog, action.help)
        help_text = parser.format_help()
        assert help_text.startswith(f"utilisation : {parser.prog}")
        assert "show this help" not in help_text and "usage:" not in help_text
