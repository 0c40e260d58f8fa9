"""Random sequences of actions by random people, through the service layer, against the invariants.

Each example files a fresh case; hypothesis then lets six people (the submitter, another member, two
reviewers, two editors) try every action, comment, conflict and upload in random order, and checks
after every step: no transition outside the table, nobody works on a case they filed or declared a
conflict on, four eyes on every approval, and filed material never changes after submission.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import uuid
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from integrity import db
from integrity.accounts.members import create_member, principal_from
from integrity.accounts.tables import Role
from integrity.cases import evidence as cases_evidence
from integrity.cases import service as cases_service
from integrity.cases import workflow
from integrity.cases.schemas import CaseIn
from integrity.cases.tables import Attachment, Case, CaseStatus, CommentKind, Conflict, Transition
from integrity.context import ServiceContext
from integrity.custody.signing import load_or_create_signer
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.http.multipart import iter_form_parts
from integrity.publication import drafts
from integrity.publication.schemas import DecisionIn, DraftIn
from integrity.publication.tables import Decision
from integrity.review import service as review
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR, REVIEWER
from integrity.settings import Settings
from integrity.vault import Keyring, Vault
from integrity.vault.backends import build_backend
from tests import samples

EXPECTED_REFUSALS = (Forbidden, WrongState, Invalid, NotFound)
PEOPLE = ("submitter", "other_member", "reviewer_a", "reviewer_b", "editor_a", "editor_b")
EXAMPLES = int(os.environ.get("INTEGRITY_WORKFLOW_EXAMPLES", "200"))


class World:
    """The people and the services, made once per test run on a loop of its own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ctx: ServiceContext) -> None:
        self.loop = loop
        self.ctx = ctx
        self.people: dict[str, Principal] = {}
        #: Successful actions over the whole run, so the test can tell it went deep enough.
        self.done: dict[str, int] = {}

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def build(self) -> None:
        roles = {
            "submitter": Role.member,
            "other_member": Role.member,
            "reviewer_a": Role.reviewer,
            "reviewer_b": Role.reviewer,
            "editor_a": Role.editor,
            "editor_b": Role.editor,
        }
        for name, role in roles.items():
            member = await create_member(
                email=f"{name}-{uuid.uuid4().hex[:6]}@example.org",
                password="machine generated passphrase",
                display_name=name,
                role=role,
            )
            member.totp_enabled = True
            self.people[name] = principal_from(
                member, via="session", credential_id=member.id, signer=self.ctx.signer
            )


def make_machine(world: World) -> type[RuleBasedStateMachine]:
    class CaseWorkflow(RuleBasedStateMachine):
        @initialize(filer=st.sampled_from(["submitter", "reviewer_a"]))
        def file_a_case(self, filer: str) -> None:
            # Sometimes a reviewer files the case, so the no-self-review rule gets exercised.
            self.filer = filer
            principal = world.people[filer]
            case = world.run(
                cases_service.create_case(
                    world.ctx,
                    principal,
                    CaseIn(
                        title="Machine case",
                        narrative="Filed by the state machine.",
                        incident_date=datetime.date(2026, 1, 1),
                        municipality="cacak",
                        categories=["other"],
                    ),
                )
            )
            self.case_id = case.id
            self.submitted_material: tuple[Any, ...] | None = None

        def row(self) -> dict[str, Any]:
            return world.run(Case.select().where(Case.id == self.case_id).first())

        def material(self) -> tuple[Any, ...]:
            row = self.row()
            attachments = world.run(
                Attachment.select(Attachment.id, Attachment.sha256)
                .where((Attachment.case == self.case_id) & (Attachment.frozen == True))  # noqa: E712
                .order_by(Attachment.id)
            )
            frozen = tuple((a["id"], a["sha256"]) for a in attachments)
            return bytes(row["title_sealed"]), bytes(row["narrative_sealed"]), frozen

        @rule(
            who=st.sampled_from(PEOPLE),
            action=st.sampled_from(workflow.ACTIONS),
            reason=st.sampled_from([None, "", "Razlog."]),
        )
        def take_action(self, who: str, action: str, reason: str | None) -> None:
            self.attempt(who, action, reason)

        @rule(pick=st.integers(0, 1000))
        def take_an_offered_action(self, pick: int) -> None:
            """Take one of the actions the case offers someone now, to get deep into the graph
            (the dead ends, withdraw and reject, only now and then)."""
            facts = world.run(cases_service.case_facts(self.case_id))
            row = self.row()
            offered = [
                (who, action)
                for who in PEOPLE
                for action in workflow.allowed_actions(
                    world.people[who if who != "submitter" else self.filer], row, facts
                )
                if action not in {"edit", "add_attachments"}
            ]
            onward = [item for item in offered if item[1] not in {"withdraw", "reject"}]
            choices = offered if pick % 5 == 0 or not onward else onward
            if choices:
                who, action = choices[pick % len(choices)]
                if action == "provide_info" and pick % 7:
                    # As the answer form does: the answer, then the information sent back (now
                    # and then without one, which is refused: answer_missing).
                    principal = world.people[who if who != "submitter" else self.filer]
                    with contextlib.suppress(*EXPECTED_REFUSALS):
                        world.run(
                            review.add_comment(
                                world.ctx, principal, self.case_id, "Odgovor.", CommentKind.answer
                            )
                        )
                self.attempt(who, action, "Razlog.")

        # The same guided step twice more, so about half of all steps move the case forward.
        @rule(pick=st.integers(0, 1000))
        def take_another_offered_action(self, pick: int) -> None:
            self.take_an_offered_action(pick)

        @rule(pick=st.integers(0, 1000))
        def take_yet_another_offered_action(self, pick: int) -> None:
            self.take_an_offered_action(pick)

        def attempt(self, who: str, action: str, reason: str | None) -> None:
            principal = world.people[who if who != "submitter" else self.filer]
            before = self.row()
            conflicted = {
                row["member"]
                for row in world.run(Conflict.select(Conflict.member).where(Conflict.case == self.case_id))
            }
            try:
                world.run(review.transition(world.ctx, principal, self.case_id, action, reason))
            except EXPECTED_REFUSALS:
                after = self.row()
                assert after["status"] == before["status"], "a refused action changed the state"
                return
            after = self.row()
            step = workflow.TABLE.get((CaseStatus(before["status"]), action))
            assert step is not None, f"{action} succeeded from {before['status']}, outside the table"
            assert after["status"] == step.to
            if step.who is not workflow.Who.submitter:
                assert principal.filer_tag != before["submitter_tag"], "someone worked on a case they filed"
                assert principal.id not in conflicted, "a conflicted member worked on the case"
                assert principal.role in {REVIEWER, EDITOR}
            if action == "approve":
                assert principal.role == EDITOR
                assert principal.id != before["verified_by"], "the verifier approved (no four eyes)"
                problem = world.run(drafts.publication_problem(world.ctx, after))
                assert problem is None, "approved without a complete publication draft"
            if action == "submit":
                self.submitted_material = self.material()
            world.done[action] = world.done.get(action, 0) + 1

        @rule(who=st.sampled_from(PEOPLE), kind=st.sampled_from(list(CommentKind)))
        def comment(self, who: str, kind: CommentKind) -> None:
            principal = world.people[who if who != "submitter" else self.filer]
            try:
                world.run(review.add_comment(world.ctx, principal, self.case_id, "Komentar.", kind))
            except EXPECTED_REFUSALS:
                return

        @rule(who=st.sampled_from(["reviewer_a", "reviewer_b", "editor_a", "editor_b"]))
        def draft_the_publication(self, who: str) -> None:
            """A complete draft that withholds every file (refused where the rules say so)."""
            case = world.run(Case.select(Case.id).where(Case.id == self.case_id).first())
            attachments = world.run(Attachment.select(Attachment.id).where(Attachment.case == case["id"]))
            draft = DraftIn(
                public_title="Javni naslov",
                public_summary="Sažetak.",
                public_body="Javni tekst.",
                attachments=[
                    DecisionIn(attachment_id=a["id"], decision=Decision.withhold) for a in attachments
                ],
            )
            try:
                world.run(drafts.save_draft(world.ctx, world.people[who], self.case_id, draft))
            except EXPECTED_REFUSALS:
                return

        @rule(who=st.sampled_from(PEOPLE))
        def declare_conflict(self, who: str) -> None:
            try:
                world.run(review.declare_conflict(world.ctx, world.people[who], self.case_id))
            except EXPECTED_REFUSALS:
                return

        @rule(who=st.sampled_from(["submitter", "other_member", "reviewer_b"]))
        def add_file(self, who: str) -> None:
            principal = world.people[who if who != "submitter" else self.filer]
            body, content_type = samples.multipart([("dokaz.txt", samples.text(uuid.uuid4().hex))])

            async def once() -> Any:
                yield body

            try:
                world.run(
                    cases_evidence.add_attachments(
                        world.ctx,
                        principal,
                        self.case_id,
                        iter_form_parts(once(), content_type, max_part_bytes=1 << 20),
                    )
                )
            except EXPECTED_REFUSALS:
                return

        @invariant()
        def filed_material_never_changes(self) -> None:
            if getattr(self, "submitted_material", None) is None:
                return
            title, narrative, frozen_then = self.submitted_material
            title_now, narrative_now, frozen_now = self.material()
            assert (title_now, narrative_now) == (title, narrative), "the filed texts changed"
            assert set(frozen_then) <= set(frozen_now), "filed evidence disappeared or changed"

        @invariant()
        def approvals_had_four_eyes(self) -> None:
            if not hasattr(self, "case_id"):
                return
            steps = world.run(
                Transition.select(Transition.action, Transition.actor)
                .where(Transition.case == self.case_id)
                .order_by(Transition.id)
            )
            verifier = None
            for step in steps:
                if step["action"] == "verify":
                    verifier = step["actor"]
                elif step["action"] in {"send_back", "reopen"}:
                    verifier = None
                elif step["action"] == "approve":
                    assert verifier is not None and step["actor"] != verifier

    return CaseWorkflow


def test_random_workflows_keep_every_rule(settings: Settings, database_url: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        engine = db.create_engine(settings.database)
        db.bind_engine(engine)
        # A pool, as the app has: thousands of steps, each opening connections, would take minutes.
        pooled = loop.run_until_complete(db.start_pool(engine))
        keyring = Keyring.load_or_create(settings)
        vault = Vault(build_backend(settings), keyring)
        loop.run_until_complete(vault.start())
        signer = load_or_create_signer(settings.signing_key_file, generated_in_data_dir=True)
        world = World(loop, ServiceContext(vault=vault, signer=signer, settings=settings))
        loop.run_until_complete(world.build())
        run_state_machine_as_test(
            make_machine(world),
            settings=settings_for_machine(),
        )
        if EXAMPLES >= 100:
            # The run must have reached the far end of the graph, or it proved little.
            for action in ("start_review", "request_info", "provide_info", "verify", "approve", "reject"):
                assert world.done.get(action, 0) > 0, (action, world.done)
        if pooled:
            loop.run_until_complete(engine.close_connection_pool())
    finally:
        loop.close()


def settings_for_machine() -> Any:
    return hypothesis_settings(
        max_examples=EXAMPLES,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,
        # Fixed examples: the depth check below must not depend on the luck of a run.
        derandomize=True,
    )
