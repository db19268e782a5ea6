"""JSON API: the trust ramp per action type (levels, evidence, pins), its versioned review policies, and the
learning catalogue's import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile, status

from policies import ramp_store
from review_console.api.models.admin import (
    LevelChangePublic,
    PinIn,
    PinSaved,
    PolicySaved,
    ReviewPolicyPublic,
    TrustRampPublic,
)
from review_console.api.models.common import ActionTypePath, ListOf
from review_console.api.models.onboarding import CatalogueImported, LearningItemPublic
from review_console.deps import AdminUser, SvcDep, api_form_guard
from workflows.usecases import learning

router = APIRouter(prefix="/admin", tags=["admin"])


def _ramp_public(view: ramp_store.AdminView) -> TrustRampPublic:
    return TrustRampPublic(
        action_type=view.action.name, risk_tier=view.action.risk_tier.value,
        affects_people=view.action.affects_people, policy_version=view.policy.label,
        policy=ReviewPolicyPublic(**view.policy.document()), changed_by=view.policy.changed_by,
        status=view.status, history=[LevelChangePublic.model_validate(h, from_attributes=True) for h in view.history])


@router.get("/trust-ramp")
async def ramp_overview(svc: SvcDep, _: AdminUser) -> ListOf[TrustRampPublic]:
    """Per action type: policy, level, evidence, bound, clean reviews to promote, history."""
    async with svc.pool.acquire() as conn:
        views = await ramp_store.admin_view(conn)
    return ListOf(data=[_ramp_public(v) for v in views], count=len(views))


@router.put("/policies/{action_type}")
async def update_policy(action_type: ActionTypePath, changes: dict[str, Any], svc: SvcDep,
                        user: AdminUser) -> PolicySaved:
    """Save a new version of an action type's review policy (only the fields given change)."""
    async with svc.pool.acquire() as conn:
        try:
            saved = await ramp_store.save_policy(conn, action_type, changes, by=user.login)
        except ramp_store.PolicyError as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    return PolicySaved(action_type=action_type, version=saved.version, policy=ReviewPolicyPublic(**saved.document()))


@router.put("/trust-ramp/{action_type}/pin")
async def pin_level(action_type: ActionTypePath, body: PinIn, svc: SvcDep, user: AdminUser) -> PinSaved:
    """Pin an action type's review share (or unpin)."""
    async with svc.pool.acquire() as conn:
        try:
            state = await ramp_store.set_pin(conn, action_type, body.share, by=user.login)
        except ramp_store.PolicyError as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    return PinSaved(action_type=action_type, pinned=state.pinned)


@router.post("/learning", dependencies=[Depends(api_form_guard)])
async def import_learning(file: Annotated[UploadFile, File(description="An LMS export: JSON Lines (.jsonl) or CSV "
                                                                  "(.csv), one item a line.")],
                          svc: SvcDep, user: AdminUser) -> CatalogueImported:
    """Import a learning catalogue file (admins): every line an item (``item_id``, ``title``, ``provider``, ``url``,
    ``skills``, ``hours``, ``format``); importing it again updates the items. A file with any bad line is refused
    whole with 422 naming every bad line, and nothing is imported. With a session cookie the request needs the
    session's CSRF token in the ``X-CSRF-Token`` header (a form from another site cannot send it)."""
    content = await file.read()
    result = await learning.import_catalogue(svc, user, filename=file.filename or "the file", content=content)
    return CatalogueImported(added=result.added, updated=result.updated,
                             items=[LearningItemPublic.model_validate(i, from_attributes=True) for i in result.items])
