"""Every word the bot sends comes from content/messages as a Jinja2 template, French first."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

import content
from bot.services.counting import percent_of
from bot.textsafety import neutralise

MESSAGES = Path(content.__file__).parent / "messages"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


def format_datetime(moment: datetime, pattern: str, *, locale: str) -> str:
    """Babel's `format_datetime`, its locale data loaded at the first date shown rather than
    at start (a few MiB)."""
    from babel.dates import format_datetime as babel_format

    return babel_format(moment, pattern, locale=locale)


def format_date(day: date, pattern: str, *, locale: str) -> str:
    """Babel's `format_date`, loaded the same way."""
    from babel.dates import format_date as babel_format

    return babel_format(day, pattern, locale=locale)


def language_of(code: str | None) -> str:
    """The bot's language for a Telegram language code: English for en*, French otherwise."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def fr_day(local: date) -> str:
    """The day of the month in a French date pattern: « 1er » for the first, as written."""
    return "'1er'" if local.day == 1 else "d"


def format_when(moment: datetime, tz: str, lang: str, *, now: datetime | None = None) -> str:
    """« jeudi 3 décembre à 9 h 30 »: the year only when it is not the current one."""
    local = moment.astimezone(ZoneInfo(tz))
    same_year = now is None or now.astimezone(ZoneInfo(tz)).year == local.year
    if lang == "en":
        pattern = "EEEE d MMMM" + ("" if same_year else " y") + " 'at' h:mm a"
        return format_datetime(local, pattern, locale="en")
    time = "H 'h'" if local.minute == 0 else "H 'h' mm"
    pattern = f"EEEE {fr_day(local)} MMMM" + ("" if same_year else " y") + " 'à' " + time
    return format_datetime(local, pattern, locale="fr")


def format_on(day: date, lang: str, *, today: date | None = None) -> str:
    """A day without a time, as read back: « vendredi 27 novembre », the year only when it is
    not the current one (always, when `today` is not given)."""
    year = "" if today is not None and today.year == day.year else " y"
    if lang == "en":
        return format_date(day, f"EEEE d MMMM{year}", locale="en")
    return format_date(day, f"EEEE {fr_day(day)} MMMM{year}", locale="fr")


def format_day(moment: datetime, tz: str, lang: str, now: datetime | None = None) -> str:
    """A journal line's moment: « 30 nov. à 12 h 04 », the year only when it is not the
    current one (always, when `now` is not given)."""
    local = moment.astimezone(ZoneInfo(tz))
    same_year = now is not None and now.astimezone(ZoneInfo(tz)).year == local.year
    year = "" if same_year else " y"
    if lang == "en":
        return format_datetime(local, f"d MMM{year} 'at' h:mm a", locale="en")
    return format_datetime(local, f"{fr_day(local)} MMM{year} 'à' H 'h' mm", locale="fr")


# French elides « de » and « que » before a vowel sound; kept simple: a vowel letter, accented
# or not (« h » is not elided: « de Hugo »).
_VOWELS = frozenset("aeiouyœæ")


def elides(name: str) -> bool:
    """A name before which « de » becomes « d' »: it starts with a vowel letter."""
    first = unicodedata.normalize("NFD", name.lstrip()[:1])[:1].lower()
    return first in _VOWELS


@pass_eval_context
def elide(eval_ctx: EvalContext, name: object, word: str = "de") -> str:
    """`{{ name | elide }}`: « de Claire », « d'Ahmed »; `elide("que")`: « qu'Inès »."""
    text = neutralise(str(name))
    head = f"{word[:-1]}'" if word.endswith("e") and elides(text) else f"{word} "
    if eval_ctx.autoescape:
        return Markup(head) + escape(text)
    return head + text


def _finalize(value: object) -> object:
    # Every value a template prints passes here: what people typed never reverses a line.
    return neutralise(value) if type(value) is str else value


@lru_cache(maxsize=2)
def environment(html: bool = True) -> Environment:
    """Templates for Telegram's HTML (escaped), or for plain text such as button captions."""
    env = Environment(
        loader=FileSystemLoader(str(MESSAGES)),
        autoescape=select_autoescape(default=html, default_for_string=html),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=_finalize,
        # The files are read once: no stat() of the template at every message.
        auto_reload=False,
        # Compiled templates are kept in the system's temporary folder (Jinja's own, one per
        # user), checked against the file's contents: a start no longer compiles the labels
        # for the command menus (60 ms), nor a first answer its message.
        bytecode_cache=FileSystemBytecodeCache(),
    )
    env.filters["when"] = format_when
    env.filters["day"] = format_day
    env.filters["percent_of"] = percent_of
    env.filters["elide"] = elide
    return env


def render(name: str, lang: str = DEFAULT_LANGUAGE, /, **context: object) -> str:
    """Render content/messages/<lang>/<name>.j2, falling back to French."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return _template(name, lang).render(lang=lang, **context).strip()


@lru_cache(maxsize=1024)
def _template(name: str, lang: str) -> Template:
    env = environment()
    try:
        return env.get_template(f"{lang}/{name}.j2")
    except TemplateNotFound:
        return env.get_template(f"{DEFAULT_LANGUAGE}/{name}.j2")


def template_names(lang: str) -> list[str]:
    root = MESSAGES / lang
    return sorted(str(p.relative_to(root))[: -len(".j2")] for p in root.rglob("*.j2"))


@lru_cache(maxsize=64)
def _labels(lang: str, html: bool, folder: str) -> object:
    path = f"{lang}/{folder}/labels.j2" if folder else f"{lang}/labels.j2"
    return environment(html).get_template(path).module


def _label(name: str, lang: str, html: bool, params: dict[str, object]) -> str:
    """`name` is a macro of labels.j2, or `folder/macro` for a feature's own
    `<folder>/labels.j2` (each feature keeps its short texts beside its messages)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    folder, _, macro_name = name.rpartition("/")
    macro = getattr(_labels(lang, html, folder), macro_name, None)
    if macro is None and lang != DEFAULT_LANGUAGE:
        macro = getattr(_labels(DEFAULT_LANGUAGE, html, folder), macro_name, None)
    if macro is None:
        raise KeyError(f"no label {name!r}")
    return str(macro(**params)).strip()


def label(name: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """A short text (a role name, a status) from the macros of content/messages/<lang>/labels.j2,
    escaped for a message in Telegram's HTML."""
    return _label(name, lang, True, params)


def caption(name: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The same macros as plain text, for a button: Telegram shows button text as it is."""
    return neutralise(_label(name, lang, False, params))
