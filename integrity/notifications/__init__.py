"""Notifications: what needs a member's action, in the app and (when configured) by e-mail."""
