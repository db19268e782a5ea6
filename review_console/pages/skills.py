"""HTML: the skill-name look-up (``<datalist>`` options for the plan form's skill fields, or a look-up page)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from review_console.deps import ReviewerUser
from review_console.pages.rendering import render
from tools.taxonomy.skill_names import suggest_skills

router = APIRouter(include_in_schema=False)


@router.get("/skills/suggest")
async def skills_suggest(request: Request, user: ReviewerUser, q: str = "") -> Response:
    """Known skill names for what was typed: ``<option>`` elements for a ``<datalist>`` (htmx), else a look-up page.

    htmx sends the typing field's own value (``skills_T3=…``): without ``q``, the first non-empty value is taken.
    """
    text = q or next((str(v) for v in request.query_params.values() if str(v).strip()), "")
    text = text.strip()[:200]
    found = await asyncio.to_thread(suggest_skills, text, top=10) if text else []
    if request.headers.get("HX-Request") == "true":
        return HTMLResponse("".join(f'<option value="{escape(name)}"></option>' for name in found))
    return render(request, "skills_lookup.html", user=user, q=text, found=found)
