"""The `integrity` command: serve, migrate and administer the platform with the same settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from integrity.errors import ConfigurationError, IntegrityError
from integrity.http.server import DEFAULT_HEADER_TIMEOUT, header_deadline_protocol
from integrity.security.files import private_dir
from integrity.settings import Settings, serving_at

Command = Callable[[argparse.Namespace, Settings], int]


def _run(coro: Coroutine[Any, Any, int]) -> int:
    from integrity import db

    async def settled() -> int:
        try:
            return await coro
        finally:
            await db.settle_sqlite_workers()

    return asyncio.run(settled())


async def _open_database(settings: Settings) -> Any:
    from integrity import db

    engine = db.create_engine(settings.database)
    await db.check_connection(engine, settings.database)
    db.bind_engine(engine)
    return engine


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from integrity import db

    async def go() -> int:
        engine = db.create_engine(settings.database)
        applied = await db.migrate(engine, settings.database)
        where = db.describe(settings.database)
        if applied:
            print(f"applied {len(applied)} migration(s) to {where}")
        else:
            print(f"{where} is up to date")
        return 0

    return _run(go())


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.accounts.members import create_admin

    password = _read_password_file(args.password_file)

    async def go() -> int:
        await _open_database(settings)
        member = await create_admin(email=args.email, password=password, display_name=args.display_name)
        print(f"created admin {member.email}")
        return 0

    return _run(go())


def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.accounts.invitations import invite
    from integrity.accounts.tables import Role
    from integrity.custody.signing import load_or_create_signer

    try:
        role = Role(args.role)
    except ValueError:
        raise IntegrityError(f"the role must be one of: {', '.join(r.value for r in Role)}") from None

    async def go() -> int:
        await _open_database(settings)
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        invitation, token, grant = await invite(
            signer, email=args.email, role=role, invited_by=None, accounts=settings.accounts
        )
        expires = invitation.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"invited {invitation.email} as {role.value}; the invitation expires {expires}")
        print(f"token: {token}")
        print(f"accept: POST {settings.base_url}/api/v1/invitations/{token}/accept")
        if grant is not None:
            print(
                f"the {role.value} role waits for a second person: another admin confirms grant {grant.id}, "
                f"or run: integrity grants confirm {grant.id}"
            )
        return 0

    return _run(go())


def _read_password_file(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
    except OSError as exc:
        raise IntegrityError(f"cannot read the password file: {exc.strerror}") from None
    # A trailing newline from `echo` or an editor is not part of the password.
    return text.rstrip("\r\n")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from integrity import db
    from integrity.app import configure_logging, create_app

    configure_logging(settings)

    async def preflight() -> int:
        engine = db.create_engine(settings.database)
        await db.check_connection(engine, settings.database)
        return 0

    _run(preflight())
    settings = serving_at(settings, args.host, args.port)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        # Access logs would store client addresses; the platform stores none.
        access_log=False,
        server_header=False,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=settings.log_level.lower(),
        # A client that never finishes its request headers does not keep its connection.
        http=header_deadline_protocol(args.header_timeout),
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.app import configure_logging
    from integrity.context import ServiceContext
    from integrity.custody.signing import load_or_create_signer
    from integrity.jobs import JobQueue
    from integrity.jobs import tasks as jobs
    from integrity.publication import filecheck
    from integrity.vault import build_vault

    configure_logging(settings)

    async def go() -> int:
        from integrity import db

        engine = await _open_database(settings)
        await db.start_pool(engine)
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        vault = await build_vault(settings)
        queue = JobQueue(settings.database)
        ctx = ServiceContext(vault=vault, signer=signer, settings=settings, jobs=queue)
        jobs.register(queue, ctx)
        problem = await filecheck.ocr_problem(ctx)
        if problem:
            # Readings fail safe (files cannot be approved) until it is installed; say so at start.
            print(f"warning: {problem}", file=sys.stderr)
        try:
            await queue.open()
            # The queue's jobs, and a job for every row that needs one (what a dead process left).
            if not args.once:
                await jobs.run_workers(queue)
                return 0
            # Once: until a round leaves nothing new to do (a copy made in one round is read in the
            # next); what stays owed (the store is down) is left for later.
            owed = None
            while (left := await jobs.owed_work()) and left != owed:
                owed = left
                await jobs.run_workers(queue, wait=False)
            print("queued work done" + (f"; {sum(left.values())} job(s) put back for later" if left else ""))
        finally:
            await queue.close()
            await vault.aclose()
        return 0

    try:
        return _run(go())
    except KeyboardInterrupt:
        return 0


async def _swapped_blobs(settings: Settings) -> list[str]:
    """Rows whose blob reference is not the one bound to them (a swap in the database)."""
    from integrity.context import ServiceContext
    from integrity.custody.signing import load_or_create_signer
    from integrity.publication.renditions import swapped_blobs
    from integrity.vault import Keyring, Vault
    from integrity.vault.backends import build_backend

    signer = load_or_create_signer(
        settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
    )
    vault = Vault(build_backend(settings), Keyring.load_or_create(settings))
    try:
        return await swapped_blobs(ServiceContext(vault=vault, signer=signer, settings=settings))
    finally:
        await vault.aclose()


def cmd_custody_verify(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.custody.service import read_checkpoint, verify_log
    from integrity.custody.signing import load_trusted_keys

    trusted = load_trusted_keys(settings.signing_key_file)
    against = None
    if args.against:
        try:
            against = read_checkpoint(Path(args.against).read_text(encoding="utf-8"))
        except OSError as exc:
            raise IntegrityError(f"cannot read the checkpoint file: {exc.strerror}") from None

    async def go() -> int:
        await _open_database(settings)
        report = await verify_log(trusted, against=against)
        swapped = await _swapped_blobs(settings)
        for subject in swapped:
            print(
                f"custody log FAILED: {subject} does not hold the file its custody records", file=sys.stderr
            )
        if report.ok and not swapped:
            print(f"custody log verified: {report.entries} entries, {report.checkpoints} checkpoints")
            return 0
        for problem in report.problems:
            print(f"custody log FAILED: {problem}", file=sys.stderr)
        return 2

    return _run(go())


def cmd_vault_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Read every stored file back, decrypt it and compare it with its row and its custody entry;
    exit 2 naming (by row) every file that is swapped, missing or altered."""
    from integrity.context import ServiceContext
    from integrity.custody.signing import load_or_create_signer
    from integrity.preservation import fixity
    from integrity.vault import Keyring, Vault
    from integrity.vault.backends import build_backend

    share = None
    if args.share:
        k, _, n = args.share.partition("/")
        if not (k.isdigit() and n.isdigit() and 0 <= int(k) < int(n)):
            raise IntegrityError("--share is K/N with 0 <= K < N, for example 3/30")
        share = (int(k), int(n))

    async def go() -> int:
        await _open_database(settings)
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        vault = Vault(build_backend(settings), Keyring.load_or_create(settings))
        try:
            report = await fixity.verify(
                ServiceContext(vault=vault, signer=signer, settings=settings), share=share
            )
        finally:
            await vault.aclose()
        for failure in report.failures:
            print(
                f"vault FAILED: {failure.subject} is {failure.problem} (blob {failure.blob_id})",
                file=sys.stderr,
            )
        mib = report.bytes / 2**20
        if report.ok:
            print(f"vault verified: {report.checked} files, {mib:.1f} MiB")
            return 0
        print(f"vault verify: {len(report.failures)} of {report.checked} files failed", file=sys.stderr)
        return 2

    return _run(go())


def cmd_export_case(args: argparse.Namespace, settings: Settings) -> int:
    """Write the package of an approved export of case REF to the recipient; exit 2 saying an
    approval is needed when there is none."""
    from integrity.context import ServiceContext
    from integrity.custody.signing import load_or_create_signer
    from integrity.preservation import exports
    from integrity.vault import Keyring, Vault
    from integrity.vault.backends import build_backend

    async def go() -> int:
        await _open_database(settings)
        try:
            export = await exports.approved_export(args.reference, args.recipient)
            exports.refuse_lapsed(export)
        except IntegrityError as exc:
            print(f"export-case: {exc.detail}", file=sys.stderr)
            return 2
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        vault = Vault(build_backend(settings), Keyring.load_or_create(settings))
        try:
            ctx = ServiceContext(vault=vault, signer=signer, settings=settings)
            digest = await exports.write_package(ctx, export, Path(args.out), actor_id=None)
        finally:
            await vault.aclose()
        print(f"package written to {args.out}: SHA-256 {digest}")
        return 0

    return _run(go())


def cmd_restore_check(args: argparse.Namespace, settings: Settings) -> int:
    """Prove a backup: on the database and store it was restored into (scratch ones), with the key
    files kept offline, verify the custody log and read back every stored file. Reads only."""
    import dataclasses

    from integrity.context import ServiceContext
    from integrity.custody.service import verify_log
    from integrity.custody.signing import load_signer, load_trusted_keys
    from integrity.preservation import fixity
    from integrity.settings import DatabaseSettings
    from integrity.vault import Keyring, Vault
    from integrity.vault.backends import build_backend

    restored = dataclasses.replace(
        settings,
        database=DatabaseSettings(url=args.database_url),
        data_dir=Path(args.data_dir).absolute() if args.data_dir else settings.data_dir,
        s3=dataclasses.replace(settings.s3, bucket=args.s3_bucket) if args.s3_bucket else settings.s3,
    )
    if not restored.keyring_file.exists():
        raise IntegrityError(
            f"no key ring at {restored.keyring_file}: set INTEGRITY_KEYRING_FILE to the kept copy"
        )

    async def go() -> int:
        await _open_database(restored)
        log_report = await verify_log(load_trusted_keys(restored.signing_key_file))
        for problem in log_report.problems:
            print(f"restore-check FAILED: custody log: {problem}", file=sys.stderr)
        signer = load_signer(restored.signing_key_file)
        vault = Vault(build_backend(restored), Keyring.load(restored.keyring_file))
        try:
            ctx = ServiceContext(vault=vault, signer=signer, settings=restored)
            files = await fixity.verify(ctx, record=False)
        except ConfigurationError as exc:
            # A ring that lacks a key the backup's rows were wrapped under (retired since?).
            print(
                f"restore-check FAILED: the kept key ring cannot open this backup: {exc.detail}",
                file=sys.stderr,
            )
            return 2
        finally:
            await vault.aclose()
        for failure in files.failures:
            print(f"restore-check FAILED: {failure.subject} is {failure.problem}", file=sys.stderr)
        if log_report.ok and files.ok:
            print(
                f"restore-check passed: custody log verified ({log_report.entries} entries), "
                f"{files.checked} stored files read back ({files.bytes / 2**20:.1f} MiB)"
            )
            return 0
        return 2

    return _run(go())


async def _key_action(settings: Settings, action: str, details: dict[str, object]) -> None:
    """Put a key action on record in the custody log (the operator, on the server, is the actor)."""
    from integrity.custody import service as custody
    from integrity.custody.signing import load_or_create_signer

    signer = load_or_create_signer(
        settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
    )
    await custody.record(signer, actor_id=None, action=action, subject="keys", details=details)


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.vault import Keyring, retire_key, rotate_keys

    async def go() -> int:
        await _open_database(settings)  # also registers every domain's stored keys
        report = await rotate_keys(settings)
        await _key_action(settings, "key.kek_rotated", {"summary": report.summary()[:200]})
        print(report.summary())
        if args.retire_previous:
            # Every older key out of the ring: a database backup taken before (which still holds
            # shredded cases' wrapped keys) can no longer be opened with this ring.
            ring = Keyring.load(settings.keyring_file)
            for key_id in [k for k in ring.key_ids if k != ring.active_id]:
                retired = await retire_key(settings, key_id)
                await _key_action(settings, "key.kek_retired", {"key_id": key_id})
                print(retired.summary())
        return 0

    return _run(go())


def cmd_grants_list(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.accounts.grants import list_grants

    async def go() -> int:
        await _open_database(settings)
        grants = await list_grants(pending_only=not args.all)
        for grant in grants:
            what = f"role {grant.role}" if grant.role else "second-factor reset"
            whom = f"member {grant.member}" if grant.member else f"invitation {grant.invitation}"
            print(
                f"{grant.id}  {grant.status:9}  {what} for {whom}  asked {grant.requested_at:%Y-%m-%d %H:%M}"
            )
        if not grants:
            print("no pending grants" if not args.all else "no grants")
        return 0

    return _run(go())


def cmd_grants_confirm(args: argparse.Namespace, settings: Settings) -> int:
    import uuid

    from integrity.accounts.grants import confirm_grant
    from integrity.custody.signing import load_or_create_signer

    try:
        grant_id = uuid.UUID(args.grant_id)
    except ValueError:
        raise IntegrityError("the grant id is a UUID (integrity grants list shows them)") from None

    async def go() -> int:
        await _open_database(settings)
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        grant = await confirm_grant(signer, None, grant_id)
        print(f"grant {grant.id} confirmed on the server (the custody log records it)")
        return 0

    return _run(go())


def cmd_keys_init(args: argparse.Namespace, settings: Settings) -> int:
    """Make the first key ring (and the signing key) at their configured paths, once, before the
    first start; on record in the custody log. Never replaces a ring: new keys there would make
    every stored file unreadable."""
    from integrity import db
    from integrity.custody import service as custody
    from integrity.custody.signing import load_or_create_signer
    from integrity.vault import Keyring

    path = settings.keyring_file
    if path.exists():
        raise IntegrityError(
            f"a key ring is already at {path}: `keys init` makes the first one only "
            "(`keys rotate` adds a key to it)"
        )

    async def go() -> int:
        engine = db.create_engine(settings.database)
        await db.migrate(engine, settings.database)
        db.bind_engine(engine)
        try:
            ring = Keyring.create(path)
        except FileExistsError:
            raise IntegrityError(f"a key ring appeared at {path} meanwhile: it is kept") from None
        except OSError as exc:
            raise IntegrityError(f"cannot write the key ring at {path}: {exc.strerror}") from None
        signer = load_or_create_signer(settings.signing_key_file, generated_in_data_dir=False)
        await custody.record(
            signer,
            actor_id=None,
            action="key.ring_created",
            subject="keys",
            details={"key_id": ring.active_id, "signing_key_id": signer.key_id},
        )
        print(
            f"key ring made at {path} (key {ring.active_id}); signing key {signer.key_id} at "
            f"{settings.signing_key_file}. Copy the key files to offline media now."
        )
        return 0

    return _run(go())


def cmd_keys_rotate_signing(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.custody import service as custody
    from integrity.custody.signing import load_or_create_signer, rotate_signing_key

    async def go() -> int:
        await _open_database(settings)
        old, new = rotate_signing_key(settings.signing_key_file)
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        # On record, and covered at once by a checkpoint signed with the new key.
        await custody.record(
            signer,
            actor_id=None,
            action="key.signing_rotated",
            subject=f"signing-key:{new}",
            details={"retired_key_id": old, "key_id": new},
        )
        await custody.sign_checkpoint(signer)
        print(
            f"new signing key {new}; {old} is retired and stays trusted for what it signed "
            f"(restart the app processes to sign with the new key)"
        )
        return 0

    return _run(go())


def cmd_keys_retire(args: argparse.Namespace, settings: Settings) -> int:
    from integrity.vault import retire_key

    async def go() -> int:
        await _open_database(settings)
        report = await retire_key(settings, args.key_id)
        await _key_action(settings, "key.kek_retired", {"key_id": args.key_id})
        print(report.summary())
        return 0

    return _run(go())


def cmd_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from integrity.vault import reconcile

    if args.grace_hours < 0:
        raise IntegrityError("--grace-hours must not be negative")

    async def go() -> int:
        await _open_database(settings)  # also registers every domain's blob references
        report = await reconcile(settings, apply=args.apply, grace=timedelta(hours=args.grace_hours))
        print(report.summary())
        swapped = await _swapped_blobs(settings)
        for subject in swapped:
            print(f"TAMPERED: {subject} does not hold the file bound to it (a swapped blob reference)")
        return 1 if report.missing or swapped else 0

    return _run(go())


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from integrity import demo
    from integrity.custody.signing import load_or_create_signer
    from integrity.vault import build_vault

    async def go() -> int:
        await _open_database(settings)
        if not await demo.database_is_empty():
            if args.if_empty:
                print("the database already has members or cases: demo data not added")
                return 0
            raise IntegrityError("the database is not empty; demo data goes into a fresh one only")
        signer = load_or_create_signer(
            settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
        )
        vault = await build_vault(settings)
        try:
            accounts = await demo.seed_demo(settings, vault, signer)
        finally:
            await vault.aclose()
        path = demo.write_credentials(settings, accounts)
        print(f"demo data added; fictional accounts and their passwords are in {path}")
        return 0

    return _run(go())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="integrity",
        description="The Integrity Network platform. Settings come from INTEGRITY_* variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the web pages and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-* from --forwarded-allow-ips (behind a reverse proxy)",
    )
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_HEADER_TIMEOUT,
        help=f"seconds a client has to send a request's headers (default {DEFAULT_HEADER_TIMEOUT:g})",
    )
    serve.set_defaults(handler=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run the background jobs (reading files for the leak check, e-mail); "
        "set INTEGRITY_JOBS=worker so that serve leaves them to it",
    )
    worker.add_argument("--once", action="store_true", help="do the queued work, then stop")
    worker.set_defaults(handler=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations (idempotent)")
    migrate.set_defaults(handler=cmd_migrate)

    admin = sub.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password-file", required=True, help="file holding the password ('-' for stdin)")
    admin.add_argument("--display-name", default="Administrator")
    admin.set_defaults(handler=cmd_create_admin)

    invitation = sub.add_parser("invite", help="invite a new member by e-mail; prints the one-time token")
    invitation.add_argument("--email", required=True)
    invitation.add_argument("--role", required=True, help="member, reviewer, editor or admin")
    invitation.set_defaults(handler=cmd_invite)

    seed = sub.add_parser("seed-demo", help="add fictional demo members, cases and files")
    seed.add_argument(
        "--if-empty", action="store_true", help="do nothing (and succeed) when the database has data"
    )
    seed.set_defaults(handler=cmd_seed_demo)

    keys = sub.add_parser("keys", help="the key ring that wraps every data key")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    init = keys_sub.add_parser(
        "init",
        help="make the first key ring and signing key at their configured paths (once, before starting)",
    )
    init.set_defaults(handler=cmd_keys_init)
    rotate = keys_sub.add_parser(
        "rotate", help="add a new active key and re-wrap every stored data key (no object is rewritten)"
    )
    rotate.add_argument(
        "--retire-previous",
        action="store_true",
        help="then retire every older key, so backups of the database taken before cannot be opened",
    )
    rotate.set_defaults(handler=cmd_keys_rotate)
    rotate_signing = keys_sub.add_parser(
        "rotate-signing",
        help="replace the Ed25519 signing key; the old public key stays trusted for what it signed",
    )
    rotate_signing.set_defaults(handler=cmd_keys_rotate_signing)
    retire = keys_sub.add_parser("retire", help="remove an old key once nothing is wrapped under it")
    retire.add_argument("key_id")
    retire.set_defaults(handler=cmd_keys_retire)

    reconcile = sub.add_parser(
        "reconcile",
        help="compare the evidence store with the database: abort stale uploads, remove orphans "
        "(dry run unless --apply), report rows whose object is missing (exit 1)",
    )
    reconcile.add_argument("--apply", action="store_true", help="remove what the dry run lists")
    reconcile.add_argument(
        "--grace-hours",
        type=float,
        default=24.0,
        help="leave objects and uploads younger than this alone (default 24)",
    )
    reconcile.set_defaults(handler=cmd_reconcile)

    grants = sub.add_parser("grants", help="role grants and second-factor resets waiting for a second person")
    grants_sub = grants.add_subparsers(dest="grants_command", required=True, metavar="ACTION")
    grants_list = grants_sub.add_parser("list", help="the pending grants (with --all, every grant)")
    grants_list.add_argument("--all", action="store_true")
    grants_list.set_defaults(handler=cmd_grants_list)
    grants_confirm = grants_sub.add_parser(
        "confirm", help="confirm a grant as the server's operator (how a single admin gets a review team)"
    )
    grants_confirm.add_argument("grant_id")
    grants_confirm.set_defaults(handler=cmd_grants_confirm)

    custody = sub.add_parser("custody", help="the tamper-evident custody log")
    custody_sub = custody.add_subparsers(dest="custody_command", required=True, metavar="ACTION")
    verify = custody_sub.add_parser(
        "verify", help="re-compute the hash chain and every checkpoint; name the first bad entry"
    )
    verify.add_argument(
        "--against",
        metavar="CHECKPOINT.json",
        help="also check that the log still holds what this checkpoint (kept outside the platform) signed",
    )
    verify.set_defaults(handler=cmd_custody_verify)

    export_case = sub.add_parser(
        "export-case", help="write the court-ready package of an approved export of a case"
    )
    export_case.add_argument("reference", help="the case's reference (PR-2026-0001)")
    export_case.add_argument(
        "--recipient", required=True, help="the age public key the export was approved for"
    )
    export_case.add_argument("--out", required=True, help="the file to write (an age-encrypted tar)")
    export_case.set_defaults(handler=cmd_export_case)

    restore_check = sub.add_parser(
        "restore-check",
        help="prove a backup: verify the custody log and every stored file of a restored copy",
    )
    restore_check.add_argument(
        "--database-url", required=True, help="the scratch database the dump went into"
    )
    restore_check.add_argument("--data-dir", help="the restored data folder (local storage)")
    restore_check.add_argument("--s3-bucket", help="the scratch bucket the mirror went into (S3 storage)")
    restore_check.set_defaults(handler=cmd_restore_check)

    vault = sub.add_parser("vault", help="the encrypted store of evidence")
    vault_sub = vault.add_subparsers(dest="vault_command", required=True, metavar="ACTION")
    vault_verify = vault_sub.add_parser(
        "verify",
        help="read back, decrypt and check every stored file against its row and custody entry",
    )
    vault_verify.add_argument(
        "--share", metavar="K/N", help="only the files in share K of N (the daily job checks one of 30)"
    )
    vault_verify.set_defaults(handler=cmd_vault_verify)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        try:
            # Evidence, keys and the database live here: this user's alone.
            private_dir(settings.data_dir)
        except OSError as exc:
            print(f"integrity: error: cannot create the data folder: {exc.strerror}", file=sys.stderr)
            return 1
        handler: Command = args.handler
        return handler(args, settings)
    except IntegrityError as exc:
        print(f"integrity: error: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
