"""Rules of the review workflow: transitions, comments, conflicts of interest and assignment.

Every change runs in one transaction with its custody entry and Transition row, under the custody
lock, so the state a rule was checked against is the state the change applies to.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import replace
from typing import Any

from integrity import db
from integrity.accounts.tables import Member
from integrity.cases import workflow
from integrity.cases.access import load_case_row
from integrity.cases.filers import filed_by, submitter_id
from integrity.cases.schemas import CaseOut, CommentOut, ConflictOut
from integrity.cases.sealing import case_key
from integrity.cases.service import case_facts, get_case, review_team_for
from integrity.cases.submission import latest_request_answered, sign_supplement, submit_case
from integrity.cases.tables import Attachment, Case, CaseStatus, Comment, CommentKind, Conflict, Transition
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, IntegrityError, Invalid, NotFound, WrongState
from integrity.faults import fault_point
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.publication import cache as public_cache
from integrity.publication import drafts, revisions
from integrity.publication.tables import ProposalKind
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR, REVIEW_TEAM

MAX_REASON = 5_000
MAX_COMMENT = 20_000

Mail = tuple[list[uuid.UUID], NotificationKind, str]
#: Actions that change what the public sees, each followed by a signed checkpoint.
PUBLISHING = frozenset({"publish", "confirm_correction", "confirm_retraction"})


async def _fresh_row(case_id: uuid.UUID) -> dict[str, Any]:
    row = await Case.select().where(Case.id == case_id).first()
    if row is None:
        raise NotFound("no such case", code="case_not_found")
    return row


async def transition(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, action: str, reason: str | None
) -> CaseOut:
    """Take `action` on the case if the table and its rules allow it now."""
    if action not in workflow.ACTIONS:
        raise Invalid(
            f"action must be one of: {', '.join(workflow.ACTIONS)}", code="action_unknown", field="action"
        )
    await load_case_row(principal, case_id)
    if action == "submit":
        case, _ = await submit_case(ctx, principal, case_id)
        return case
    if reason is not None:
        reason = clean_text(reason, "reason", MAX_REASON, required=False) or None
    mails: list[Mail] = []
    mailed: list[uuid.UUID] = []
    to_submitter = False
    async with db.transaction():
        await custody.lock_log()
        row = await _fresh_row(case_id)
        facts = replace(await case_facts(case_id), proposal=await revisions.proposal_fact(case_id))
        if action in workflow.NEEDS_PUBLICATION_CHECK:
            # Inside the transaction, after the lock: nothing can change between this check and
            # the write (the files were read in the background; here their readings are matched).
            facts = replace(
                facts,
                publication_problem=await drafts.publication_problem(ctx, row),
                draft_changed_by=await drafts.last_changed_by(case_id),
            )
        step = workflow.check(principal, row, facts, action)
        # Sending the information back takes an answer to the latest request.
        since = await latest_request_answered(case_id) if action == "provide_info" else None
        if step.needs_reason and not reason:
            raise Invalid(
                f"{action.replace('_', ' ')} needs a reason", code=f"{action}_needs_reason", field="reason"
            )
        key = case_key(ctx, row)
        if reason and action in workflow.PUBLIC_NOTE_ACTIONS:
            await drafts.check_public_note(key, case_id, reason)
        details: dict[str, Any] = {"from": row["status"], "to": step.to.value}
        if action == "approve":
            details["draft_sha256"] = await drafts.pin_approval(key, case_id)
        elif action == "publish":
            await drafts.check_approved(key, case_id)
            details |= await revisions.write_revision(ctx, row, correction_note=None)
        elif action in workflow.PROPOSALS:
            assert reason is not None
            proposed = ProposalKind.correction if action == "correct" else ProposalKind.retraction
            digest = await drafts.draft_digest(key, case_id) if proposed is ProposalKind.correction else None
            await revisions.propose_change(key, case_id, proposed, reason, principal, digest)
            details |= {"proposed": proposed.value} | ({"draft_sha256": digest} if digest else {})
        elif action in workflow.PROPOSALS.values():
            proposal = await revisions.load_proposal(key, case_id)
            assert proposal is not None  # the step's rule checked it
            # Names protected since the proposal are protected in its note too.
            await drafts.check_public_note(key, case_id, proposal.reason)
            if action == "confirm_correction":
                if proposal.draft_digest != await drafts.draft_digest(key, case_id):
                    raise WrongState(
                        "the draft changed after the correction was proposed: propose it again",
                        code="proposal_stale",
                    )
                details |= await revisions.write_revision(ctx, row, correction_note=proposal.reason)
                if proposal.draft_digest:
                    await revisions.record_published_digest(case_id, proposal.draft_digest)
            else:
                details |= await revisions.retract_publication(row, proposal.reason)
            await revisions.drop_proposal(case_id)
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action=f"case.{action}",
            subject=f"case:{case_id}",
            details=details,
        )
        now = datetime.datetime.now(datetime.UTC)
        changes: dict[Any, Any] = {Case.status: step.to.value, Case.updated_at: now}
        if action == "start_review":
            changes[Case.assigned_reviewer] = principal.id
        elif action == "verify":
            changes[Case.verified_by] = principal.id
        elif action in {"send_back", "reopen"}:
            changes[Case.verified_by] = None
        await Case.update(changes).where(Case.id == case_id)

        by_submitter = filed_by(principal, row)
        transition_row = Transition(
            case=case_id,
            from_status=row["status"],
            to_status=step.to.value,
            action=action,
            actor=None if by_submitter else principal.id,
            by_submitter=by_submitter,
            at=now,
            custody_seq=entry.seq,
        )
        await transition_row.save()
        if reason:
            await Transition.update(
                {Transition.reason_sealed: key.seal(f"reason:{transition_row.id}", reason)}
            ).where(Transition.id == transition_row.id)

        reference = row["reference"]
        if action == "request_info":
            assert reason is not None
            await _insert_comment(key, case_id, principal, CommentKind.request, reason, entry.seq)
            to_submitter = True
        elif action == "provide_info":
            # The member gets a signed receipt of what they sent (before it is frozen, listed).
            await sign_supplement(ctx, row, since=since, custody_seq=entry.seq)
            # What was added while answering is filed now: frozen like the original material.
            await Attachment.update({Attachment.frozen: True}).where(
                (Attachment.case == case_id) & (Attachment.frozen == False)  # noqa: E712
            )
            if row["assigned_reviewer"] is not None:
                mails.append(([row["assigned_reviewer"]], NotificationKind.info_provided, reference))
        elif action == "verify":
            editors = await review_team_for(
                case_id, exclude={principal.id, submitter_id(key, row)}, roles=frozenset({EDITOR})
            )
            mails.append((editors, NotificationKind.ready_to_approve, reference))
        for recipients, kind, ref in mails:
            mailed += await notifications.notify(
                recipients, kind, case_id=case_id, reference=ref, email=ctx.settings.smtp is not None
            )
        if to_submitter:
            # Addressed by the keyed tag, not the member's id (``cases.filers``).
            mailed.append(
                await notifications.notify_submitter(
                    row["submitter_tag"],
                    row["submitter_sealed"],
                    NotificationKind.info_requested,
                    case_id=case_id,
                    reference=reference,
                    email=ctx.settings.smtp is not None,
                )
            )
        if action in PUBLISHING:
            fault_point("publication.uncommitted")
    if action in PUBLISHING:
        fault_point("publication.committed")
        # Committed: readers of this process get the change at once (other processes notice it
        # within `INTEGRITY_PUBLIC_CACHE_SECONDS`).
        public_cache.invalidate_all()
        # Everything public is covered by a signed checkpoint, so its proofs verify at once (a
        # process that dies before this leaves it owed: `custody.checkpoint_if_owed` signs it).
        await custody.sign_checkpoint(ctx.signer)
        fault_point("publication.checkpointed")
    await notifications.queue_emails(ctx.jobs, mailed)
    return await get_case(ctx, principal, case_id)


async def _insert_comment(
    key: Any,
    case_id: uuid.UUID,
    principal: Principal,
    kind: CommentKind,
    body: str,
    seq: int,
    *,
    by_submitter: bool = False,
) -> tuple[uuid.UUID, datetime.datetime]:
    comment_id = uuid.uuid4()
    now = datetime.datetime.now(datetime.UTC)
    await Comment.insert(
        Comment(
            id=comment_id,
            case=case_id,
            author=None if by_submitter else principal.id,
            by_submitter=by_submitter,
            kind=kind.value,
            body_sealed=key.seal(f"comment:{comment_id}", body),
            created_at=now,
            custody_seq=seq,
        )
    )
    return comment_id, now


async def add_comment(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, body: str, kind: CommentKind
) -> CommentOut:
    """A note (review team only), a request (moves the case to `needs_info`) or an answer."""
    text = clean_text(body, "body", MAX_COMMENT, required=False) or None
    if not text:
        raise Invalid("the comment must not be empty", code="comment_empty", field="body")
    row = await load_case_row(principal, case_id)
    if kind is CommentKind.request:
        await transition(ctx, principal, case_id, "request_info", text)
        latest = (
            await Comment.select(Comment.id, Comment.created_at)
            .where((Comment.case == case_id) & (Comment.kind == CommentKind.request.value))
            .order_by(Comment.created_at, ascending=False)
            .first()
        )
        if latest is None:
            raise RuntimeError(f"the request just made on case {case_id} was not written")
        return CommentOut(
            id=latest["id"],
            kind=kind,
            body=text,
            created_at=latest["created_at"],
            by_me=True,
            from_submitter=False,
            author_name=principal.display_name,
        )
    if kind is CommentKind.answer and not filed_by(principal, row):
        raise Forbidden(
            "only the member who filed the case answers requests for information",
            code="answer_submitter_only",
        )
    if kind is CommentKind.note and principal.role not in REVIEW_TEAM:
        raise Forbidden("internal notes come from the review team", code="notes_team_only")
    async with db.transaction():
        await custody.lock_log()
        row = await _fresh_row(case_id)
        if kind is CommentKind.answer and row["status"] != CaseStatus.needs_info:
            raise WrongState(
                "answers are given while the case waits for information", code="answer_not_expected"
            )
        if kind is CommentKind.note and row["status"] == CaseStatus.draft:
            raise WrongState("the case has not been submitted", code="case_not_submitted")
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="comment.added",
            subject=f"case:{case_id}",
            details={"kind": kind.value},
        )
        by_submitter = filed_by(principal, row)
        comment_id, now = await _insert_comment(
            case_key(ctx, row), case_id, principal, kind, text, entry.seq, by_submitter=by_submitter
        )
    return CommentOut(
        id=comment_id,
        kind=kind,
        body=text,
        created_at=now,
        by_me=True,
        from_submitter=by_submitter,
        author_name=principal.display_name,
    )


async def declare_conflict(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, member_id: uuid.UUID | None = None
) -> ConflictOut:
    """A review-team member steps away from a case (or an editor records that ``member_id`` must):
    from then on the case is out of their sight (404, off their lists), and if it was assigned to
    them it is unassigned."""
    await load_case_row(principal, case_id)
    if principal.role not in REVIEW_TEAM:
        raise Forbidden("conflicts of interest are declared by the review team", code="conflict_team_only")
    member_id = member_id or principal.id
    if member_id != principal.id:
        if principal.role != EDITOR:
            raise Forbidden(
                "only an editor records another team member's conflict of interest",
                code="conflict_editor_only",
            )
        member = await Member.select(Member.role, Member.is_active).where(Member.id == member_id).first()
        if member is None or not member["is_active"] or member["role"] not in REVIEW_TEAM:
            raise Invalid(
                "member_id must be an active reviewer or editor", code="conflict_not_team", field="member_id"
            )
    async with db.transaction():
        await custody.lock_log()
        row = await _fresh_row(case_id)
        if await Conflict.exists().where((Conflict.case == case_id) & (Conflict.member == member_id)):
            raise WrongState(
                "a conflict of interest is already recorded for them on this case",
                code="conflict_already_declared",
            )
        details = {} if member_id == principal.id else {"member": ctx.signer.pseudonym(str(member_id))}
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="conflict.declared" if member_id == principal.id else "conflict.recorded",
            subject=f"case:{case_id}",
            details=details,
        )
        now = datetime.datetime.now(datetime.UTC)
        await Conflict.insert(
            Conflict(case=case_id, member=member_id, declared_at=now, custody_seq=entry.seq)
        )
        if row["assigned_reviewer"] == member_id:
            await Case.update({Case.assigned_reviewer: None}).where(Case.id == case_id)
    return ConflictOut(case_id=case_id, declared_at=now, member_id=member_id)


def _assignment_refusal(
    member: dict[str, Any], *, submitter: uuid.UUID, conflicted: frozenset[uuid.UUID]
) -> IntegrityError | None:
    """Why `member` may not be handed the case (None when they may): the one rule `assign` enforces
    and `assignable_team` offers."""
    if not member["is_active"] or member["role"] not in REVIEW_TEAM:
        return Invalid(
            "reviewer_id must be an active reviewer or editor", code="assignee_not_team", field="reviewer_id"
        )
    if member["id"] == submitter:
        return WrongState("nobody reviews a case they filed", code="assignee_is_submitter")
    if member["id"] in conflicted:
        return WrongState(
            "that reviewer declared a conflict of interest on this case", code="assignee_conflicted"
        )
    return None


async def assignable_team(principal: Principal, case: CaseOut) -> list[Member]:
    """The members the caller may hand `case` to now: empty unless the caller is an editor and the
    case is in a state the review team works in; never its submitter or anyone conflicted."""
    if principal.role != EDITOR or case.status not in workflow.ASSIGNABLE_STATES:
        return []
    conflicted = (await case_facts(case.id)).conflicted
    members = await Member.objects().where(Member.is_active == True).order_by(Member.created_at)  # noqa: E712
    return [
        m
        for m in members
        if _assignment_refusal(
            {"id": m.id, "role": m.role, "is_active": m.is_active},
            submitter=case.submitter.id,
            conflicted=conflicted,
        )
        is None
    ]


async def assign(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, reviewer_id: uuid.UUID
) -> CaseOut:
    """An editor (re)assigns a case to a reviewer or editor who may work on it."""
    await load_case_row(principal, case_id)
    if principal.role != EDITOR:
        raise Forbidden("only an editor assigns cases", code="editor_only")
    async with db.transaction():
        await custody.lock_log()
        row = await _fresh_row(case_id)
        if row["status"] not in workflow.ASSIGNABLE_STATES:
            raise WrongState(f"a case that is {row['status']} is not assigned", code="case_not_assignable")
        assignee = (
            await Member.select(Member.id, Member.role, Member.is_active)
            .where(Member.id == reviewer_id)
            .first()
        )
        if assignee is None:
            raise Invalid(
                "reviewer_id must be an active reviewer or editor",
                code="assignee_not_team",
                field="reviewer_id",
            )
        refusal = _assignment_refusal(
            assignee,
            submitter=submitter_id(case_key(ctx, row), row),
            conflicted=(await case_facts(case_id)).conflicted,
        )
        if refusal is not None:
            raise refusal
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.assigned",
            subject=f"case:{case_id}",
            details={},
        )
        await Case.update({Case.assigned_reviewer: reviewer_id}).where(Case.id == case_id)
        mailed = await notifications.notify(
            [reviewer_id],
            NotificationKind.assigned,
            case_id=case_id,
            reference=row["reference"],
            email=ctx.settings.smtp is not None,
        )
    await notifications.queue_emails(ctx.jobs, mailed)
    return await get_case(ctx, principal, case_id)
