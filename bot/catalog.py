"""Editable catalogues from content/: familles d'acteurs, suggested maillons, the guide's six
leviers d'action, the time zones offered as buttons."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import content

CONTENT = Path(content.__file__).parent


@dataclass(frozen=True)
class Famille:
    code: str
    ess: bool
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fr"]


@lru_cache(maxsize=1)
def familles() -> dict[str, Famille]:
    data = tomllib.loads((CONTENT / "familles.toml").read_text(encoding="utf-8"))
    return {
        f["code"]: Famille(
            code=f["code"], ess=bool(f["ess"]), labels={"fr": f["fr"], "en": f["en"]}
        )
        for f in data["famille"]
    }


@lru_cache(maxsize=1)
def _maillon_sets() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads((CONTENT / "maillons.toml").read_text(encoding="utf-8"))


def suggested_maillons(name: str) -> list[str]:
    """Default maillons for a chaîne de valeur, chosen from words in the collective's name."""
    lowered = name.casefold()
    sets = _maillon_sets()
    for key, entry in sets.items():
        if key != "defaut" and any(word in lowered for word in entry["mots"]):
            return list(entry["maillons"])
    return list(sets["defaut"]["maillons"])


@dataclass(frozen=True)
class Levier:
    code: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fr"]


@lru_cache(maxsize=1)
def leviers() -> dict[str, Levier]:
    """The guide's six leviers d'action, in the guide's order."""
    data = tomllib.loads((CONTENT / "leviers.toml").read_text(encoding="utf-8"))
    return {
        entry["code"]: Levier(entry["code"], {"fr": entry["fr"], "en": entry["en"]})
        for entry in data["levier"]
    }


@dataclass(frozen=True)
class Category:
    """A category of needs and offers: the survey asks with it, the matching pairs by it."""

    code: str
    need: dict[str, str]
    offer: dict[str, str]
    # What a précision may say, as a need and as an offer (« 2 t par an à vendre, dès juin »).
    examples: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_need(self, lang: str) -> str:
        return self.need.get(lang) or self.need["fr"]

    def as_offer(self, lang: str) -> str:
        return self.offer.get(lang) or self.offer["fr"]

    def example(self, kind: str, lang: str) -> str:
        """`kind`: "need" or "offer"; "" when the catalogue gives none."""
        found = self.examples.get(kind, {})
        return found.get(lang) or found.get("fr", "")


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    data = tomllib.loads((CONTENT / "categories.toml").read_text(encoding="utf-8"))
    return {
        c["code"]: Category(
            c["code"],
            {"fr": c["need_fr"], "en": c["need_en"]},
            {"fr": c["offer_fr"], "en": c["offer_en"]},
            {
                kind: {
                    lang: c[f"{kind}_example_{lang}"]
                    for lang in ("fr", "en")
                    if c.get(f"{kind}_example_{lang}")
                }
                for kind in ("need", "offer")
            },
        )
        for c in data["category"]
    }


def category_example(code: str | None, kind: str, lang: str) -> str:
    """The example offered for a précision of this need or offer ("" for another option)."""
    found = categories().get(code or "")
    return found.example(kind, lang) if found is not None else ""


@dataclass(frozen=True)
class Fuseau:
    """A time zone offered as a button: metropolitan France and the overseas territories."""

    code: str  # short, travels in callback data
    zone: str  # the IANA name stored on the collective
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fr"]


@lru_cache(maxsize=1)
def fuseaux() -> dict[str, Fuseau]:
    data = tomllib.loads((CONTENT / "fuseaux.toml").read_text(encoding="utf-8"))
    return {
        f["code"]: Fuseau(f["code"], f["zone"], {"fr": f["fr"], "en": f["en"]})
        for f in data["fuseau"]
    }


def zone_label(zone: str, lang: str) -> str:
    """« La Réunion » for Indian/Reunion; a zone outside the list keeps its IANA name."""
    for fuseau in fuseaux().values():
        if fuseau.zone == zone:
            return fuseau.label(lang)
    return zone
