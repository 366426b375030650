"""A free name to suggest when the name the model chose is taken.

Small models copy the names they read: told only "that name is taken", a 0.5B model
picks the parent's or a sibling's name again, retry after retry. So the retry names
one free name for it to copy, derived from the resource's own description (its first
telling word: 'PostgreSQL 16 database for the shop' gives 'postgresql'), and the
fallback after the last retry uses that same name. Light module: no pydantic-ai.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Set

from .resource import Resource

# Words that say nothing about what a resource is.
_FILLER = frozenset(
    {"a", "an", "the", "of", "for", "and", "or", "with", "to", "in", "on", "at", "by", "from"}
    | {"its", "it", "this", "that", "my", "our", "your"}
)
_WORD = re.compile(r"[a-z0-9]+")
_LONGEST_WORD = 24  # longer words make unwieldy names
_WORDS_LOOKED_AT = 6  # the telling word is near the start of a description


def suggested_name(resource: Resource, proposed: str, taken: Set[str]) -> str:
    """A name for `resource` that is not in `taken`: from its description if it can,
    else `proposed` with a number (`shop-2`, `shop-3`, ...)."""
    for candidate in _candidates(resource, proposed):
        if candidate not in taken:
            return candidate
    return numbered_name(proposed, taken)


def numbered_name(proposed: str, taken: Set[str]) -> str:
    """`proposed` with the first number that makes it free: `shop-2`, `shop-3`, ..."""
    return next(
        f"{proposed}-{n}" for n in range(2, len(taken) + 3) if f"{proposed}-{n}" not in taken
    )


def _candidates(resource: Resource, proposed: str) -> Iterator[str]:
    # The taken name itself is no telling word ('shop' in "the shop's database").
    words = [word for word in _telling_words(resource.description or "") if word != proposed]
    yield from words
    yield from (f"{proposed}-{word}" for word in words)


def _telling_words(description: str) -> list[str]:
    # "shop's" reads as "shop" and "s": possessive endings are dropped with the fillers.
    words = _WORD.findall(description.lower())[: _WORDS_LOOKED_AT * 2]
    telling = [
        word
        for word in words
        if word not in _FILLER
        and len(word) > 1
        and not word.isdigit()
        and len(word) <= _LONGEST_WORD
    ]
    return telling[:_WORDS_LOOKED_AT]
