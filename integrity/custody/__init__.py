"""The tamper-evident custody log: hash-chained entries, Merkle checkpoints, signed receipts."""
