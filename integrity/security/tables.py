"""Tables of the shared security machinery."""

from __future__ import annotations

from piccolo.columns import BigInt, Integer, Varchar
from piccolo.table import Table


class RateLimitCounter(Table, tablename="rate_limit_counter"):
    """One fixed-window counter. The key is a keyed hash of the bucket and the e-mail address or the
    client address, so the table holds neither; rows are removed once their window has passed."""

    key_hash = Varchar(length=64, unique=True, index=True)
    hits = Integer(default=0)
    #: Unix time (seconds) at which the window ends and the counter starts again.
    window_ends = BigInt(default=0, index=True)
