"""Server-rendered HTML pages (public site and members' area)."""
