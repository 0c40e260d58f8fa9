"""CSRF on form posts: the hidden field, and multipart bodies that handlers stream themselves."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, post
from litestar.testing import AsyncTestClient

from integrity.security.guards import requires_login
from integrity.settings import Settings
from tests.factories import AccountFactory


@post("/api/v1/test-upload", guards=[requires_login], status_code=200)
async def streamed_upload(request: Request[Any, Any, Any]) -> dict[str, int]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return {"size": size}


@post("/api/v1/test-form", guards=[requires_login], status_code=200)
async def form_post(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {"note": str(form.get("note"))}


def multipart(token: str | None, payload: bytes) -> tuple[bytes, str]:
    boundary = "XyZboundary"
    parts = []
    if token is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n{token}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + payload
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def test_a_streamed_upload_form_carries_its_token_in_the_first_part(
    settings: Settings, app: Litestar
) -> None:
    app.register(streamed_upload)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=settings)
        caller = await accounts.as_role("member")
        payload = bytes(range(256)) * 1024
        body, content_type = multipart(caller.csrf_token, payload)
        ok = await caller.post(
            "/api/v1/test-upload", content=body, headers={"content-type": content_type, "x-csrftoken": ""}
        )
        assert ok.status_code == 200, ok.text
        # The handler still got the whole body, token part included.
        assert ok.json() == {"size": len(body)}
        body, content_type = multipart(None, payload)
        refused = await caller.post(
            "/api/v1/test-upload", content=body, headers={"content-type": content_type, "x-csrftoken": ""}
        )
        assert refused.status_code == 403


async def test_an_html_form_passes_with_the_hidden_field(settings: Settings, app: Litestar) -> None:
    app.register(form_post)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=settings)
        caller = await accounts.as_role("member")
        ok = await caller.post(
            "/api/v1/test-form",
            data={"_csrf_token": caller.csrf_token, "note": "hi"},
            headers={"x-csrftoken": ""},
        )
        assert ok.status_code == 200 and ok.json() == {"note": "hi"}
        refused = await caller.post("/api/v1/test-form", data={"note": "hi"}, headers={"x-csrftoken": ""})
        assert refused.status_code == 403


async def test_an_anonymous_form_needs_the_cookie_and_the_field_to_match(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.create("member")
    page = await client.get("/login")
    token = page.cookies["csrftoken"]
    form = {"email": member.email, "password": "violet harbour lantern 42", "_csrf_token": token}
    # The form passes the CSRF check; the API then wants JSON, which is a different refusal.
    response = await client.post("/api/v1/auth/login", data=form)
    assert response.status_code != 403
    client.cookies.clear()
    forged = await client.post("/api/v1/auth/login", data=form)
    assert forged.status_code == 403
