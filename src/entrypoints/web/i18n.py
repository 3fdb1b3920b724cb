"""The portal's languages: English and French (Ontario), every string from one gettext
catalogue (``locale/fr/LC_MESSAGES/messages.po``, compiled with Babel when first used). The
language is the person's choice (``?lang=``, kept in a cookie), else the browser's
(``Accept-Language``), else English (ADR 0024)."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from carepassport.domain.time import local

LOCALES = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"
COOKIE = "cp_lang"
LOCALE_OF = {"en": "en_CA", "fr": "fr_CA"}
"""Dates and times as people in Ontario read them in each language."""


def day(value: date, lang: str) -> str:
    """A date as people read it ("Apr 7, 2027", "7 avr. 2027")."""
    return format_date(value, "medium", locale=LOCALE_OF.get(lang, "en_CA"))


def moment(value: datetime, lang: str) -> str:
    """A time in America/Toronto as people read it ("Apr 7, 2027 2:05 p.m.",
    "7 avr. 2027 14 h 05")."""
    shown = local(value)
    locale = LOCALE_OF.get(lang, "en_CA")
    return f"{format_date(shown.date(), 'medium', locale=locale)} " + format_time(
        shown.time(), "short", locale=locale
    )


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (English needs none: the messages are English)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language to answer in."""
    for chosen in (query, cookie):
        if chosen in LANGUAGES:
            return chosen
    for part in (accept_language or "").split(","):
        tag = part.split(";", 1)[0].strip().lower()
        primary = tag.split("-", 1)[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT


def callables(lang: str) -> dict[str, Callable[..., str]]:
    """``_`` and ``ngettext`` for templates, in ``lang``, with ``%(name)s`` placeholders."""
    catalogue = translations(lang)

    def _(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        return catalogue.ngettext(singular, plural, n) % {"num": n, **values}

    return {"_": _, "ngettext": ngettext}
