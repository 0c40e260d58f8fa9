"""Preservation: keeping evidence intact, and provably so (fixity checks of the vault)."""
