"""Wires accounts and access into the app: controllers, authentication and CSRF middleware, the rate
limiter, the system keys and the dependencies later controllers use (`principal`, `settings`,
`limiter`, `keys`, `csrf_key`)."""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPluginProtocol

from integrity.accounts.authentication import SESSION_COOKIE, AuthenticationMiddleware, provide_principal
from integrity.accounts.controller import (
    AuthController,
    InvitationAcceptanceController,
    InvitationController,
    MeController,
    MemberAdminController,
)
from integrity.security.csrf import CSRFMiddleware
from integrity.security.dependencies import provide_rate_limiter, provide_system_keys
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
        state: dict[str, Any] = {"system_keys": keys, "rate_limiter": limiter}
        app_config.state = State({**dict(app_config.state), **state})
        app_config.route_handlers.extend(
            [
                AuthController,
                MeController,
                InvitationController,
                InvitationAcceptanceController,
                MemberAdminController,
            ]
        )
        # Authentication runs first, so the CSRF check knows whether a session cookie is live.
        app_config.middleware.extend(
            [
                DefineMiddleware(AuthenticationMiddleware, exclude=UNAUTHENTICATED_PATHS),
                DefineMiddleware(
                    CSRFMiddleware, key=csrf_key, session_cookie=SESSION_COOKIE, secure=settings.is_https
                ),
            ]
        )

        def provide_settings() -> Settings:
            return settings

        def provide_csrf_key() -> bytes:
            return csrf_key

        app_config.dependencies.setdefault("settings", Provide(provide_settings, sync_to_thread=False))
        app_config.dependencies.update(
            {
                "principal": Provide(provide_principal),
                "limiter": Provide(provide_rate_limiter, sync_to_thread=False),
                "keys": Provide(provide_system_keys, sync_to_thread=False),
                "csrf_key": Provide(provide_csrf_key, sync_to_thread=False),
            }
        )
        app_config.on_shutdown.append(limiter.close)
        return app_config
