"""Security primitives shared by several domains (passwords, tokens, headers)."""
