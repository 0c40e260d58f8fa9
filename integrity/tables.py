"""The list of every domain's Piccolo tables, for the Piccolo app and for binding the engine."""

from __future__ import annotations

from piccolo.table import Table


def all_tables() -> list[type[Table]]:
    from integrity.accounts.tables import ApiToken, Grant, Invitation, Member, MemberSession, RecoveryCode
    from integrity.cases.tables import (
        Actor,
        Attachment,
        Case,
        CaseActor,
        CaseCategory,
        CaseReferenceCounter,
        Comment,
        Conflict,
        FormDraft,
        IdempotentUpload,
        SupplementReceipt,
        Transition,
    )
    from integrity.custody.tables import Checkpoint, CustodyEntry, CustodyNode
    from integrity.notifications.tables import Notification
    from integrity.preservation.tables import (
        CaseExport,
        ErasureRequest,
        LegalHold,
        ShreddedCase,
        ShredRequest,
    )
    from integrity.publication.tables import (
        AttachmentDecision,
        CopyRequest,
        InstitutionRanking,
        PublicationDraft,
        PublicCase,
        PublicChangeProposal,
        PublishedActor,
        PublishedFile,
        PublishedReferral,
        PublishedRevision,
        Rendition,
        Takedown,
    )
    from integrity.referrals.tables import Referral, ReferralAnswer, Reply
    from integrity.security.tables import RateLimitCounter

    return [
        Member,
        Invitation,
        Grant,
        MemberSession,
        ApiToken,
        RecoveryCode,
        RateLimitCounter,
        CustodyEntry,
        Checkpoint,
        CustodyNode,
        Case,
        CaseCategory,
        Actor,
        CaseActor,
        Attachment,
        Transition,
        CaseReferenceCounter,
        Comment,
        Conflict,
        IdempotentUpload,
        SupplementReceipt,
        FormDraft,
        Notification,
        PublicationDraft,
        Rendition,
        CopyRequest,
        AttachmentDecision,
        PublicCase,
        PublishedRevision,
        PublishedFile,
        PublishedActor,
        PublishedReferral,
        InstitutionRanking,
        PublicChangeProposal,
        Takedown,
        Referral,
        ReferralAnswer,
        Reply,
        CaseExport,
        LegalHold,
        ShreddedCase,
        ShredRequest,
        ErasureRequest,
    ]
