"""Reference data shipped with the platform and the Serbian script helpers.

- ``municipalities()``, ``municipality(code)``, ``districts()``, ``district(code)``,
  ``categories()``, ``category(code)``: the lists behind ``GET /api/v1/municipalities`` and
  ``GET /api/v1/categories`` and the public filters; ``referral_kinds()``, ``referral_kind(code)``:
  the kinds of referral to institutions with their legal deadlines (see ``catalog``).
- ``fold(text)``: the script- and diacritic-insensitive form used by search and the leak check;
  ``find_folded`` locates a folded needle in the original text; ``to_cyrillic`` and ``to_latin``
  switch script (see ``script``).
"""

from integrity.reference.catalog import (
    KINDS,
    REGIONS,
    Category,
    District,
    Kind,
    Municipality,
    ReferralKind,
    Region,
    categories,
    category,
    district,
    districts,
    municipalities,
    municipalities_in_district,
    municipality,
    referral_kind,
    referral_kinds,
)
from integrity.reference.script import (
    find_folded,
    fold,
    fold_with_index,
    slugify,
    to_cyrillic,
    to_latin,
)

__all__ = [
    "KINDS",
    "REGIONS",
    "Category",
    "District",
    "Kind",
    "Municipality",
    "ReferralKind",
    "Region",
    "categories",
    "category",
    "district",
    "districts",
    "find_folded",
    "fold",
    "fold_with_index",
    "municipalities",
    "municipalities_in_district",
    "municipality",
    "referral_kind",
    "referral_kinds",
    "slugify",
    "to_cyrillic",
    "to_latin",
]
