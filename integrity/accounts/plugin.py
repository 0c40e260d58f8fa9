"""Wires accounts and access into the app: the authentication and CSRF middleware, and the rate
limiter, the system keys and the CSRF key in the app's state (their providers are in
`integrity.security.dependencies`; `integrity.app` registers them with the routes)."""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPluginProtocol

from integrity.accounts.authentication import SESSION_COOKIE, AuthenticationMiddleware
from integrity.security.csrf import CSRFMiddleware
from integrity.security.ratelimit import create_rate_limiter
from integrity.security.system_keys import SystemKeys
from integrity.settings import Settings
from integrity.vault import Keyring

#: Paths no credential is looked up for (static files carry no user data).
UNAUTHENTICATED_PATHS = ["^/static/"]


class AccountsPlugin(InitPluginProtocol):
    def __init__(self, settings: Settings, *, keyring: Keyring | None = None) -> None:
        self.settings = settings
        self.keyring = keyring

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = self.settings
        keys = SystemKeys(self.keyring) if self.keyring is not None else SystemKeys.load(settings)
        limiter = create_rate_limiter(settings.accounts.redis_url, keys.hmac_key("rate-limit"))
        csrf_key = keys.hmac_key("csrf")
        state: dict[str, Any] = {"system_keys": keys, "rate_limiter": limiter, "csrf_key": csrf_key}
        app_config.state = State({**dict(app_config.state), **state})
        # Authentication runs first, so the CSRF check knows whether a session cookie is live.
        app_config.middleware.extend(
            [
                DefineMiddleware(AuthenticationMiddleware, exclude=UNAUTHENTICATED_PATHS),
                DefineMiddleware(
                    CSRFMiddleware, key=csrf_key, session_cookie=SESSION_COOKIE, secure=settings.is_https
                ),
            ]
        )

        app_config.on_shutdown.append(limiter.close)
        return app_config
