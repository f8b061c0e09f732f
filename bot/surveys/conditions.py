"""Conditions on earlier answers, written the XLSForm way, in templates and XLSForms alike.

Understood, and nothing else:
- `${q} = 'v'` (or "v"): the answer to q is v;
- `selected(${q}, 'v')`: v is among the options chosen for q;
- `and`, `or` (and binds tighter), and parentheses.

A condition is kept as its text; `parse` turns it into a small tree, `holds` evaluates it on the
answers given so far. A question that was not asked has no answer: a condition on it is false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<word>and\b|or\b|selected\b)
      | (?P<punct>[(),=])
    )""",
    re.VERBOSE,
)


class ConditionError(ValueError):
    """The text is not one of the understood forms."""


@dataclass(frozen=True)
class Equals:
    question: str
    value: str


@dataclass(frozen=True)
class Selected:
    question: str
    value: str


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Any_:
    parts: tuple[Condition, ...]


Condition = Equals | Selected | All | Any_


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ConditionError(text)
        position = match.end()
        if match["ref"]:
            tokens.append(("ref", match["name"]))
        elif match["string"]:
            tokens.append(("string", match["string"][1:-1]))
        elif match["word"]:
            tokens.append((match["word"], match["word"]))
        else:
            tokens.append((match["punct"], match["punct"]))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            raise ConditionError(kind)
        value = self.tokens[self.position][1]
        self.position += 1
        return value

    def parse(self) -> Condition:
        found = self.any_()
        if self.peek() is not None:
            raise ConditionError("trailing")
        return found

    def any_(self) -> Condition:
        parts = [self.all_()]
        while self.peek() == "or":
            self.take("or")
            parts.append(self.all_())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def all_(self) -> Condition:
        parts = [self.atom()]
        while self.peek() == "and":
            self.take("and")
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def atom(self) -> Condition:
        kind = self.peek()
        if kind == "(":
            self.take("(")
            inner = self.any_()
            self.take(")")
            return inner
        if kind == "selected":
            self.take("selected")
            self.take("(")
            question = self.take("ref")
            self.take(",")
            value = self.take("string")
            self.take(")")
            return Selected(question, value)
        question = self.take("ref")
        self.take("=")
        return Equals(question, self.take("string"))


@lru_cache(maxsize=512)
def parse(text: str) -> Condition:
    """The condition's tree; ConditionError when the text is not an understood form."""
    return _Parser(text).parse()


def references(condition: Condition) -> list[Equals | Selected]:
    """Every comparison in the condition, in reading order."""
    if isinstance(condition, Equals | Selected):
        return [condition]
    return [leaf for part in condition.parts for leaf in references(part)]


def holds(condition: Condition, answers: dict[str, Any]) -> bool:
    if isinstance(condition, All):
        return all(holds(part, answers) for part in condition.parts)
    if isinstance(condition, Any_):
        return any(holds(part, answers) for part in condition.parts)
    answer = answers.get(condition.question)
    if answer is None:
        return False
    if isinstance(condition, Selected):
        return condition.value in answer if isinstance(answer, list) else answer == condition.value
    if isinstance(answer, list):
        return answer == [condition.value]
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        try:
            return float(condition.value.replace(",", ".")) == float(answer)
        except ValueError:
            return False
    return str(answer) == condition.value


def write(condition: Condition) -> str:
    """The condition as text again (the form `parse` reads)."""
    if isinstance(condition, Equals):
        return f"${{{condition.question}}} = '{condition.value}'"
    if isinstance(condition, Selected):
        return f"selected(${{{condition.question}}}, '{condition.value}')"
    joiner = " and " if isinstance(condition, All) else " or "
    return joiner.join(
        f"({write(part)})" if isinstance(part, All | Any_) else write(part)
        for part in condition.parts
    )
