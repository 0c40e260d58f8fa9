"""The members' roles, and the two sets of them the rules use: the review team, and the roles that
must enrol a second factor. They differ on purpose: admins run the platform without reading
evidence, but their power over accounts and keys needs a second factor as much as reviewing does."""

from __future__ import annotations

MEMBER = "member"
REVIEWER = "reviewer"
EDITOR = "editor"
ADMIN = "admin"
ROLES = frozenset({MEMBER, REVIEWER, EDITOR, ADMIN})

#: Who reads and works on filed cases: reviews, verifies, drafts and publishes.
REVIEW_TEAM = frozenset({REVIEWER, EDITOR})
#: Who must enrol a TOTP second factor before doing anything else.
SECOND_FACTOR_ROLES = frozenset({REVIEWER, EDITOR, ADMIN})
