"""Tests of the evidence vault (integrity/vault/)."""
