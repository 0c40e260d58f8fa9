"""Tables of the custody log. Entries and checkpoints are only ever inserted, never updated
(apart from the `public` flag, which is not part of any hash)."""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Text, Varchar
from piccolo.table import Table


class CustodyEntry(Table, tablename="custody_entry"):
    seq = BigInt(primary_key=True)
    #: RFC 3339 UTC time exactly as hashed.
    at = Varchar(length=40)
    #: Keyed-hash pseudonym of the member (or "system"); never an id or a name.
    actor = Varchar(length=64)
    action = Varchar(length=64)
    subject = Varchar(length=200, index=True)
    #: Canonical JSON of the details object, exactly as hashed.
    details = Text()
    prev_hash = Varchar(length=64)
    entry_hash = Varchar(length=64, unique=True)
    #: Set when the entry concerns a published file, so the public may read it.
    public = Boolean(default=False, index=True)


class Checkpoint(Table, tablename="custody_checkpoint"):
    tree_size = BigInt(unique=True, index=True)
    root_hash = Varchar(length=64)
    signed_at = Varchar(length=40)
    signature = Varchar(length=200)
    key_id = Varchar(length=32)


class CustodyNode(Table, tablename="custody_node"):
    """The hash of a complete subtree of the log's Merkle tree (see `integrity.custody.tree`):
    derived from the entries, stored so checkpoints and proofs need not read every entry."""

    #: ``height << 48 | index``: the index-th subtree of 2**height leaves, from leaf ``index << height``.
    node = BigInt(unique=True, index=True)
    hash = Varchar(length=64)
