"""The public pages."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template


class PublicPagesController(Controller):
    include_in_schema = False

    @get("/", operation_id="home_page", name="home")
    async def home(self) -> Template:
        return Template(template_name="home.html", context={})
