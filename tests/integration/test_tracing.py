"""One trace from the HTTP request that submits a goal to the activities that record it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import Services

pytestmark = pytest.mark.integration


async def test_audit_events_of_a_goal_share_the_request_trace(services: Services) -> None:
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        assert (await http.post("/api/login", json={"login": "mgr.data", "password": DEMO_PASSWORD})).status_code == 200
        created = await http.post("/api/goals", json={"text": "Build a customer churn prediction model in 8 weeks"})
        assert created.status_code == 201, created.text
        goal_id = created.json()["goal_id"]
    for _ in range(300):
        if (await usecases.get_goal(services, goal_id)).status == "awaiting_plan_review":
            break
        await asyncio.sleep(0.1)
    events = await usecases.audit_for_goal(services, goal_id)
    trace_ids = {e.trace_id for e in events}
    assert len(events) >= 4
    assert len(trace_ids) == 1 and None not in trace_ids, trace_ids
