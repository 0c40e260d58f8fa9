"""Tests of the cases domain (integrity/cases/)."""
