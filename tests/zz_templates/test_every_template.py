"""Every message template, in French and in English, renders with the parameters the code
passes: an undefined variable (StrictUndefined) or a missing translation fails here.

The parameters are those recorded while the rest of the suite ran (tests/conftest.py), so this
test runs last and is meant to run with the whole suite.
"""

from __future__ import annotations

from bot.texts import LANGUAGES, MESSAGES, render
from tests.conftest import RENDERED


def _templates() -> set[str]:
    names: set[str] = set()
    for lang in LANGUAGES:
        root = MESSAGES / lang
        names |= {
            str(p.relative_to(root))[: -len(".j2")]
            for p in root.rglob("*.j2")
            if p.name != "labels.j2"
        }
    return names


def test_every_template_is_rendered_by_the_code_and_renders_in_both_languages() -> None:
    templates = _templates()
    never = sorted(templates - set(RENDERED))
    assert not never, (
        "templates no test made the bot render (run the whole suite; else add a test or "
        f"delete the template): {never}"
    )
    for name in sorted(templates):
        for params in RENDERED[name]:
            for lang in LANGUAGES:
                assert (MESSAGES / lang / f"{name}.j2").exists(), f"{lang}/{name}.j2 is missing"
                assert render(name, lang, **params).strip(), f"{lang}/{name} renders empty"
