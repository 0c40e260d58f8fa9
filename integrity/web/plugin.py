"""Wires the page shell into the app: the language middleware, and the template engine's i18n
extension and helpers (`configure_templates`, the `TemplateConfig` callback)."""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPluginProtocol

from integrity.web import i18n
from integrity.web.labels import TEMPLATE_GLOBALS


class WebPlugin(InitPluginProtocol):
    def __init__(self, *, secure: bool = False) -> None:
        #: True behind https: the language cookie is then Secure too.
        self.secure = secure

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware.append(DefineMiddleware(i18n.LanguageMiddleware, secure=self.secure))
        return app_config


def configure_templates(engine: Any) -> None:
    """`TemplateConfig(engine_callback=...)`: translations and the pages' helpers for every template."""
    i18n.install(engine.engine, TEMPLATE_GLOBALS)
