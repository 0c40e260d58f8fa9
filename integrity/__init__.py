"""The Integrity Network platform: file, verify, redact and publish evidence of state capture."""
