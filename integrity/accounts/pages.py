"""The accounts pages: log-in and log-out, second-factor enrolment, joining by invitation, and the
admin's pages for members (role, deactivation) and invitations (create, list, revoke)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypedDict

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState

from integrity.accounts import grants as accounts_grants
from integrity.accounts import invitations as accounts_invitations
from integrity.accounts import login as accounts_login
from integrity.accounts import members as accounts_members
from integrity.accounts import second_factor as accounts_second_factor
from integrity.accounts.authentication import SESSION_COOKIE, session_cookie
from integrity.accounts.tables import Profession, Role
from integrity.cases.forms import MESSAGES
from integrity.errors import (
    Forbidden,
    IntegrityError,
    Invalid,
    NotAuthenticated,
    NotFound,
    RateLimited,
    WrongState,
)
from integrity.http.problems import problem_response, wants_html
from integrity.http.uploads import form_parts
from integrity.security.csrf import CSRF_COOKIE, csrf_cookie, new_csrf_token
from integrity.security.guards import ALLOWED_BEFORE_TOTP, Principal
from integrity.security.ratelimit import RateLimiter, client_key
from integrity.security.system_keys import SystemKeys
from integrity.settings import Settings
from integrity.web.pages import (
    HOME_PATH,
    LOGIN_PATH,
    TOTP_PATH,
    current_principal,
    page,
    requires_page_admin,
    requires_page_login,
    safe_next,
    see_other,
)

MAX_FIELD = 1024


def _client(request: Request[Any, Any, Any]) -> str:
    return client_key(request.scope.get("client"))


def _field(form: Any, name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


#: Hidden fields that carry what a member wrote through a new log-in (``resume.<field>``).
RESUME_PREFIX = "resume."
#: Fields never carried: the token of the ended session, and secrets.
NOT_RESUMED = frozenset({"_csrf_token", "password", "new_password", "current_password", "code"})
#: What is carried, at most (the longest form, a case's narrative, is 100 000 characters).
MAX_RESUMED_BYTES = 512 * 1024


async def session_ended_page(request: Request[Any, Any, Any]) -> Template | Response[Any]:
    """A form of ours sent after its session ended (``csrf.SESSION_ENDED``): nothing is done with
    it; the page says so, shows what was written, and logs in again with it kept in hidden fields,
    so that one more click sends it. Files cannot be kept: the page says how many to add again.
    What was written passes through the member's browser only, never stored here.

    A script's request (the case form saving itself) is told so in a problem document, and the
    page's cookies stay as they are: its form, sent by a button, then takes the path above."""
    if not wants_html(request) and "application/json" in (request.headers.get("accept") or ""):
        return problem_response(request, 401, "the session has ended", code="session_ended")
    fields: list[tuple[str, str]] = []
    dropped_files = 0
    size = 0
    content_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type == "multipart/form-data":
        async for part in form_parts(
            request, max_part_bytes=MAX_RESUMED_BYTES, max_field_bytes=MAX_RESUMED_BYTES
        ):
            if part.filename is not None:
                dropped_files += 1 if part.filename else 0
                await part.skip()
                continue
            value = await part.read_text(MAX_RESUMED_BYTES)
            fields.append((part.name or "", value))
    else:
        form = await request.form()
        fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    kept = []
    for name, value in fields:
        size += len(value)
        if name and name not in NOT_RESUMED and size <= MAX_RESUMED_BYTES:
            kept.append((name, value))
    target = safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    # The form's token was made for the ended session: the log-in form gets one of its own, and the
    # browser forgets the ended session's cookie (else the log-in would count as ended too).
    token = new_csrf_token(request.app.state.csrf_key, None)
    ScopeState.from_scope(request.scope).csrf_token = token
    answer = _log_in_again(401, target, kept, dropped_files=dropped_files)
    answer.cookies.append(csrf_cookie(token, secure=request.app.state.settings.is_https))
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


def _log_in_again(
    status: int,
    next_path: str,
    resume: list[tuple[str, str]],
    *,
    email: str = "",
    error: Exception | None = None,
    dropped_files: int = 0,
) -> Template:
    """The log-in form that carries what was written (shown again where it is more than a word)."""
    return page(
        "auth/session_ended.html",
        status,
        next=next_path,
        email=email,
        error=error,
        resume=resume,
        dropped_files=dropped_files,
        written=[value for _, value in resume if len(value) > 40],
    )


def _resume_fields(form: Any) -> list[tuple[str, str]]:
    return [
        (name.removeprefix(RESUME_PREFIX), value)
        for name, value in form.multi_items()
        if isinstance(value, str) and name.startswith(RESUME_PREFIX)
    ]


def _logged_in(
    result: accounts_login.LoggedIn,
    next_path: str,
    settings: Settings,
    csrf_key: bytes,
    resume: list[tuple[str, str]] | None = None,
) -> Redirect | Template:
    target = TOTP_PATH if result.totp_required else safe_next(next_path)
    csrf = new_csrf_token(csrf_key, result.session_token)
    if resume and not result.totp_required and target != HOME_PATH:
        # Logged in again after the session ended mid-form: one click sends what was written, to
        # where it was going, with a token of the new session.
        answer = page("auth/resume.html", target=target, resume=resume, resume_csrf=csrf)
        answer.cookies.extend(
            [session_cookie(result.session_token, settings), csrf_cookie(csrf, secure=settings.is_https)]
        )
        return answer
    response = see_other(target)
    # A token bound to the new session, as the API hands out, for the forms of the next pages.
    response.cookies.extend(
        [session_cookie(result.session_token, settings), csrf_cookie(csrf, secure=settings.is_https)]
    )
    return response


class LoginPages(Controller):
    include_in_schema = False

    @get(LOGIN_PATH, operation_id="login_page", name="login")
    async def form(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        next_path = safe_next(request.query_params.get("next"))
        if request.user is not None:
            return see_other(next_path)
        return page("auth/login.html", next=next_path, email="", error=None)

    @post(LOGIN_PATH, operation_id="login_submit", status_code=200)
    async def log_in(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        keys: NamedDependency[SystemKeys],
        csrf_key: NamedDependency[bytes],
    ) -> Template | Redirect:
        form = await request.form()
        email = _field(form, "email", 320)
        next_path = safe_next(_field(form, "next"))
        try:
            result = await accounts_login.log_in_first_step(
                email=email,
                password=_field(form, "password"),
                client=_client(request),
                limiter=limiter,
                keys=keys,
                accounts=settings.accounts,
            )
        except (NotAuthenticated, RateLimited) as exc:
            resume = _resume_fields(form)
            if resume:  # keep what was written through a mistyped password
                return _log_in_again(exc.status_code, next_path, resume, email=email, error=exc)
            return page("auth/login.html", exc.status_code, next=next_path, email=email, error=exc)
        if isinstance(result, accounts_login.SecondFactorNeeded):
            return page("auth/second_factor.html", pending=result.pending, next=next_path, error=None)
        return _logged_in(result, next_path, settings, csrf_key, resume=_resume_fields(form))

    @post(f"{LOGIN_PATH}/code", operation_id="login_code_submit", status_code=200)
    async def second_factor(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        keys: NamedDependency[SystemKeys],
        csrf_key: NamedDependency[bytes],
    ) -> Template | Redirect:
        form = await request.form()
        pending = _field(form, "pending", 4096)
        next_path = safe_next(_field(form, "next"))
        try:
            result = await accounts_login.log_in_second_step(
                pending=pending,
                code=_field(form, "code", 64),
                client=_client(request),
                limiter=limiter,
                keys=keys,
                accounts=settings.accounts,
            )
        except (NotAuthenticated, RateLimited) as exc:
            return page(
                "auth/second_factor.html",
                exc.status_code,
                pending=pending,
                next=next_path,
                error=exc,
            )
        if result is None:
            return page("auth/login.html", 401, next=next_path, email="", error=MESSAGES["login_expired"])
        return _logged_in(result, next_path, settings, csrf_key)

    @post(
        "/logout",
        operation_id="logout_submit",
        guards=[requires_page_login],
        opt={ALLOWED_BEFORE_TOTP: True},
        status_code=303,
    )
    async def log_out(self, request: Request[Any, Any, Any]) -> Redirect:
        await accounts_login.log_out(current_principal(request))
        response = see_other(LOGIN_PATH)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response


class SecondFactorPages(Controller):
    """Enrolment of a TOTP second factor: mandatory for the review team, open to every member."""

    path = TOTP_PATH
    include_in_schema = False
    guards = [requires_page_login]
    opt = {ALLOWED_BEFORE_TOTP: True}

    @get("/", operation_id="totp_page")
    async def show(
        self, principal: NamedDependency[Principal], keys: NamedDependency[SystemKeys]
    ) -> Template:
        if principal.totp_enabled:
            unused = await accounts_second_factor.unused_recovery_codes(principal.id)
            return page("auth/totp.html", enabled=True, unused=unused, enrolment=None, error=None)
        enrolment = await accounts_second_factor.pending_enrolment(principal, keys)
        return page("auth/totp.html", enabled=False, enrolment=enrolment, error=None, **_secret(enrolment))

    @post("/", operation_id="totp_start", status_code=303)
    async def start(
        self, principal: NamedDependency[Principal], keys: NamedDependency[SystemKeys]
    ) -> Redirect:
        if not principal.totp_enabled:
            await accounts_second_factor.start_totp_enrolment(principal, keys)
        return see_other(TOTP_PATH)

    @post("/confirm", operation_id="totp_confirm", status_code=200)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        limiter: NamedDependency[RateLimiter],
        keys: NamedDependency[SystemKeys],
    ) -> Template | Redirect:
        form = await request.form()
        try:
            codes = await accounts_second_factor.confirm_totp(
                principal, _field(form, "code", 64), client=_client(request), limiter=limiter, keys=keys
            )
        except (Invalid, RateLimited) as exc:
            enrolment = await accounts_second_factor.pending_enrolment(principal, keys)
            return page(
                "auth/totp.html",
                exc.status_code,
                enabled=False,
                enrolment=enrolment,
                error=exc,
                **_secret(enrolment),
            )
        except WrongState:
            return see_other(TOTP_PATH)
        return page("auth/recovery_codes.html", codes=codes, next=HOME_PATH)


class _SecretContext(TypedDict, total=False):
    grouped_secret: str


def _secret(enrolment: accounts_second_factor.Enrolment | None) -> _SecretContext:
    return {"grouped_secret": accounts_second_factor.grouped_secret(enrolment.secret)} if enrolment else {}


PROFESSION_CODES = [p.value for p in Profession]


class JoinPages(Controller):
    """Accepting an invitation: the link an admin hands over leads here."""

    path = "/join"
    include_in_schema = False

    @get("/{token:str}", operation_id="join_page")
    async def form(self, token: FromPath[str]) -> Template:
        return page("auth/join.html", token=token, professions=PROFESSION_CODES, values={}, errors={})

    @post("/{token:str}", operation_id="join_submit", status_code=200)
    async def join(
        self, request: Request[Any, Any, Any], token: FromPath[str], limiter: NamedDependency[RateLimiter]
    ) -> Template | Response[Any]:
        form = await request.form()
        values = {
            "display_name": _field(form, "display_name", 200),
            "profession": _field(form, "profession", 20),
        }
        password = _field(form, "password")
        errors: dict[str, IntegrityError | str] = {}
        if values["profession"] not in PROFESSION_CODES:
            errors["profession"] = MESSAGES["choose_profession"]
        if password != _field(form, "password_again"):
            errors["password_again"] = MESSAGES["passwords_differ"]
        if not errors:
            try:
                await accounts_invitations.accept_invitation(
                    token,
                    display_name=values["display_name"],
                    profession=Profession(values["profession"]),
                    password=password,
                    client=_client(request),
                    limiter=limiter,
                )
            except Invalid as exc:
                field = "display_name" if exc.field == "display_name" else "password"
                errors[field] = exc
            except (NotFound, RateLimited, WrongState) as exc:
                errors["form"] = exc
        if errors:
            unknown = getattr(errors.get("form"), "code", None) == "invitation_not_found"
            status = 404 if unknown else 422
            return page(
                "auth/join.html",
                status,
                token=token,
                professions=PROFESSION_CODES,
                values=values,
                errors=errors,
            )
        return page("auth/joined.html")


# --- the admin's pages ----------------------------------------------------------------------


ROLES = [r.value for r in Role]
MEMBERS_PATH = "/app/admin/members"
INVITATIONS_PATH = "/app/admin/invitations"


async def _members_page(
    principal: Principal, status: int = 200, error: IntegrityError | str | None = None, **context: Any
) -> Template:
    members = await accounts_members.list_members()
    names = {member.id: member.display_name for member in members}
    grants = [
        (grant, names.get(grant.member) if grant.member else None)
        for grant in await accounts_grants.list_grants(pending_only=True)
    ]
    return page(
        "admin/members.html",
        status,
        members=members,
        roles=ROLES,
        me=principal.id,
        error=error,
        grants=grants,
        asked=context.get("asked", False),
        confirmed=context.get("confirmed", False),
        confirm_deactivation=context.get("confirm_deactivation"),
    )


async def _invitations_page(status: int = 200, **context: Any) -> Template:
    context.setdefault("created", None)
    context.setdefault("values", {"email": "", "role": Role.member.value})
    context.setdefault("errors", {})
    invitations = await accounts_invitations.list_invitations()
    return page("admin/invitations.html", status, invitations=invitations, roles=ROLES, **context)


class AdminPages(Controller):
    path = "/app/admin"
    include_in_schema = False
    guards = [requires_page_admin]

    @get("/members", operation_id="members_page")
    async def members(
        self,
        principal: NamedDependency[Principal],
        asked: Annotated[str | None, QueryParameter(max_length=1)] = None,
        confirmed: Annotated[str | None, QueryParameter(max_length=1)] = None,
    ) -> Template:
        return await _members_page(principal, asked=asked == "1", confirmed=confirmed == "1")

    @post("/members/{member_id:uuid}", operation_id="member_update_submit", status_code=303)
    async def update_member(
        self,
        request: Request[Any, Any, Any],
        member_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        form = await request.form()
        role = form.get("role")
        active = form.get("is_active")
        if active == "false" and form.get("confirm") != "1":
            # Deactivating ends the person's sessions and tokens at once: asked once more.
            member = await accounts_members.get_member(member_id)
            return await _members_page(principal, confirm_deactivation=member)
        try:
            _, grant = await accounts_members.update_member(
                request.app.state.signer,
                principal,
                member_id,
                role=Role(role) if role in ROLES else None,
                is_active={"true": True, "false": False}.get(active) if isinstance(active, str) else None,
            )
        except WrongState as exc:
            return await _members_page(principal, exc.status_code, exc)
        return see_other(MEMBERS_PATH + ("?asked=1" if grant else ""))

    @post("/grants/{grant_id:uuid}/confirm", operation_id="grant_confirm_submit", status_code=303)
    async def confirm_grant(
        self,
        request: Request[Any, Any, Any],
        grant_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        try:
            await accounts_grants.confirm_grant(request.app.state.signer, principal, grant_id)
        except (WrongState, Forbidden, NotFound) as exc:
            return await _members_page(principal, exc.status_code, exc)
        return see_other(MEMBERS_PATH + "?confirmed=1")

    @post(
        "/members/{member_id:uuid}/second-factor-reset",
        operation_id="second_factor_reset_submit",
        status_code=303,
    )
    async def second_factor_reset(
        self,
        request: Request[Any, Any, Any],
        member_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        try:
            await accounts_grants.request_second_factor_reset(request.app.state.signer, principal, member_id)
        except (WrongState, Forbidden, NotFound) as exc:
            return await _members_page(principal, exc.status_code, exc)
        return see_other(MEMBERS_PATH + "?asked=1")

    @get("/invitations", operation_id="invitations_page")
    async def invitations(self) -> Template:
        return await _invitations_page()

    @post("/invitations", operation_id="invitation_create_submit", status_code=200)
    async def invite(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
    ) -> Template:
        form = await request.form()
        raw_email, raw_role = form.get("email"), form.get("role")
        email = raw_email if isinstance(raw_email, str) else ""
        role = raw_role if isinstance(raw_role, str) and raw_role in ROLES else Role.member.value
        values = {"email": email[:320], "role": role}
        try:
            invitation, token, grant = await accounts_invitations.invite(
                request.app.state.signer,
                email=values["email"],
                role=Role(role),
                invited_by=principal.id,
                accounts=settings.accounts,
            )
        except (Invalid, WrongState) as exc:
            return await _invitations_page(exc.status_code, values=values, errors={"email": exc})
        created = {
            "email": invitation.email,
            "role": role,
            "waiting": grant is not None,
            "expires_at": invitation.expires_at,
            "token": token,
            "link": f"{settings.base_url}/join/{token}",
        }
        return await _invitations_page(201, created=created)

    @post(
        "/invitations/{invitation_id:uuid}/revoke", operation_id="invitation_revoke_submit", status_code=303
    )
    async def revoke(self, invitation_id: FromPath[uuid.UUID]) -> Template | Redirect:
        try:
            await accounts_invitations.revoke_invitation(invitation_id)
        except NotFound as exc:
            return await _invitations_page(404, revoke_error=exc)
        return see_other(INVITATIONS_PATH)
