"""Names in the document that client generators turn into identifiers.

Generators make a function of each ``operationId``, a module of each tag and a
class of each component, splitting names into words at dots, dashes,
underscores and case changes. So every name here is one word run in camelCase
or PascalCase, derived deterministically from what it names: the operations
on namespace ``restaurants.lastVisited.v1`` are ``getRestaurantsLastVisitedV1``,
``putRestaurantsLastVisitedV1``... and their tag ``RestaurantsLastVisitedV1``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

# The verbs of the operations a namespace path has, as they start its operation ids.
NAMESPACE_VERBS = ("get", "put", "patch", "jsonPatch", "delete")


def pascal_case(name: str) -> str:
    """``restaurants.lastVisited.v1`` as ``RestaurantsLastVisitedV1``.

    Each dot-, dash- or underscore-separated part keeps its letters with the
    first one upper-cased, so the namespace's own camelCase words survive.
    """
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._-]+", name))


def namespace_stems(names: Iterable[str], taken: Iterable[str]) -> dict[str, str]:
    """The stem of each namespace's operation ids and tag: its name in PascalCase.

    Two names may share one (``a.b``, ``a_b`` and ``aB`` are all ``AB``), and a
    stem may make an id that ``taken`` (the service's own operation ids)
    already has (``getSession`` for a namespace ``session``). Those stems get
    the first six hex digits of their name's SHA-1, so they stay unique and
    still do not depend on which other schemas exist.
    """
    taken = set(taken)
    stems = {name: pascal_case(name) for name in names}
    counts = Counter(stems.values())
    return {
        name: stem
        if counts[stem] == 1 and not {verb + stem for verb in NAMESPACE_VERBS} & taken
        else stem + hashlib.sha1(name.encode()).hexdigest()[:6]
        for name, stem in stems.items()
    }
