"""The one normalised form of a skill name that every source, table and look-up compares skills by.

``skill_key(" Microsoft  EXCEL® ")`` is ``"microsoft excel"``: case-folded (:meth:`str.casefold`, so ``Straße``
and ``STRASSE`` agree), the trademark signs ® and ™ dropped (vendors' spellings carry them, O*NET's and
people's mostly do not), whitespace of any kind collapsed to single spaces and trimmed.

The keys stored in Postgres (``employee_skills.skill_key``, ``skill_feedback.skill_key``) are computed here
and passed in. Migration ``0014_one_skill_key.sql`` has the same function in SQL, ``skill_key(text)``, with
which it rewrote the keys stored before; ``tests/integration/test_skill_key.py`` checks that the two agree on
every Unicode code point.
"""

from __future__ import annotations

__all__ = ["TRADEMARK_SIGNS", "skill_key"]

TRADEMARK_SIGNS = ("®", "™")
"""Signs dropped from names: ``Tableau®`` and ``Tableau`` are one skill."""


def skill_key(name: str) -> str:
    """The normalised form of a skill name: case-folded, without ® and ™, whitespace collapsed and trimmed.

    Args:
        name: A skill name as any source spells it.

    Returns:
        The key (``""`` for a name that is only whitespace and trademark signs).
    """
    folded = name.casefold()
    for sign in TRADEMARK_SIGNS:
        folded = folded.replace(sign, "")
    return " ".join(folded.split())
