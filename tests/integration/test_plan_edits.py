"""Reviewers edit plans (add, rename, re-skill, move, re-order, drop tasks; edit assumptions) on real Postgres and a
real Temporal worker: every edit is checked, refused edits name the task and the field, the edit is what executes and
what the audit trail shows.

The planner is being rewritten, so nothing here depends on which tasks a goal gets: each test reads the plan's tasks
from its review and edits relative to them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html import unescape
from typing import Any

import httpx
import pytest
from support import eventually

from infra.store.plans import GoalPlan, PlannedTask
from tools.taxonomy.skill_names import canonical, suggest_skills

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
NEW_TITLE = "Train the card-fraud analysts on reading the new alerts"
RENAMED = "Sign off the dashboard's data sources with the card risk team"
Client = httpx.AsyncClient
ClientFactory = Callable[..., Awaitable[Client]]


async def goal_status(client: Client, goal_id: str, *wanted: str, timeout: float = 60) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        goal: dict[str, Any] = (await client.get(f"/api/goals/{goal_id}")).json()
        if goal["status"] == "failed" and "failed" not in wanted:
            raise AssertionError(f"goal {goal_id} failed: {goal['status_detail']}")
        return goal if goal["status"] in wanted else None

    return await eventually(probe, f"goal {goal_id} to reach {'/'.join(wanted)}", timeout=timeout)


async def plan_under_review(connect: ClientFactory) -> tuple[dict[str, Any], Client]:
    """A fresh goal's plan review (as the API shows it) and hr.reviewer's client."""
    manager, reviewer = await connect("mgr.payments"), await connect("hr.reviewer")
    resp = await manager.post("/api/goals", json={"text": GOAL})
    assert resp.status_code == 201, resp.text
    goal = await goal_status(reviewer, resp.json()["goal_id"], "awaiting_plan_review")
    review: dict[str, Any] = (await reviewer.get(f"/api/reviews/{goal['review']['review_id']}")).json()
    assert review["action_type"] == "decompose_goal" and review["status"] == "pending"
    return review, reviewer


def next_id(tasks: list[dict[str, Any]]) -> str:
    return f"T{max(int(t['task_id'][1:]) for t in tasks) + 1}"


async def decide(client: Client, review: dict[str, Any], **body: Any) -> httpx.Response:
    return await client.post(f"/api/reviews/{review['review_id']}/decision",
                             json={"decision": "edit", "args_hash": review["args_hash"], **body})


# --- what executes ----------------------------------------------------------------------------------------------


async def test_rename_reskill_and_assumptions_execute_and_are_audited(connect: ClientFactory) -> None:
    review, reviewer = await plan_under_review(connect)
    tasks = review["arguments"]["tasks"]
    first, second = tasks[0], tasks[1]
    assumptions = ["Card transactions are already in the data warehouse.", "The fraud team tests in week 5."]
    questions = ["Which card schemes are in scope?"]
    resp = await decide(reviewer, review, assumptions=assumptions, open_questions=questions, task_edits={
        first["task_id"]: {"title": RENAMED},
        second["task_id"]: {"skills": ["sql", "Microsoft Excel"]},  # names as the taxonomy has them, case aside
    })
    assert resp.status_code == 200, resp.text
    executed_hash = resp.json()["executed_args_hash"]

    goal = await goal_status(reviewer, review["goal_id"], "awaiting_review")
    stored = {t["task_id"]: t for t in goal["tasks"]}
    assert stored[first["task_id"]]["title"] == RENAMED
    assert stored[second["task_id"]]["skills"] == ["SQL", "Microsoft Excel"], "as the taxonomy spells them"
    decided = (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()
    assert decided["status"] == "edited" and decided["decided_by"] == "hr.reviewer"
    executed = GoalPlan.model_validate(decided["decided_arguments"])
    assert executed.assumptions == assumptions and executed.open_questions == questions
    assert [t.task_id for t in executed.tasks] == [t["task_id"] for t in tasks], "nothing else changed"
    proposed = GoalPlan.model_validate(review["arguments"])
    for before, after in zip(proposed.tasks, executed.tasks, strict=True):
        changed = {k for k in PlannedTask.model_fields if getattr(before, k) != getattr(after, k)}
        expected = {first["task_id"]: {"title"}, second["task_id"]: {"skills"}}.get(before.task_id, set())
        assert changed == expected, (before.task_id, changed)
    # the staffing agent planned people for the edited plan
    staffing = (await reviewer.get(f"/api/reviews/{goal['review']['review_id']}")).json()
    assert GoalPlan.model_validate(staffing["evidence"]["plan"]) == executed

    events = (await reviewer.get(f"/api/goals/{review['goal_id']}/audit")).json()["data"]
    edited = next(e for e in events if e["action"] == "goal.plan_edited")
    changes = edited["payload"]["changes"]
    assert f"{first['task_id']} renamed from “{first['title']}” to “{RENAMED}”" in changes
    assert any(c.startswith(f"{second['task_id']} skills changed: ") and c.endswith("(now SQL, Microsoft Excel)")
               for c in changes), changes
    assert f"assumption added: “{assumptions[0]}”" in changes
    assert f"open question added: “{questions[0]}”" in changes, changes
    decided_event = next(e for e in events if e["action"] == "review.decided")
    assert decided_event["args_hash"] == executed_hash
    page = await reviewer.get(f"/goals/{review['goal_id']}/audit")
    assert page.status_code == 200
    assert f"renamed from “{first['title']}” to “{RENAMED}”" in unescape(page.text)
    assert f'data-testid="plan-changes-{edited["seq"]}"' in page.text
    review_page = unescape((await reviewer.get(f"/reviews/{review['review_id']}")).text)
    assert "What was executed" in review_page and f"to “{RENAMED}”" in review_page


async def test_an_added_task_gets_the_next_id_and_executes(connect: ClientFactory) -> None:
    review, reviewer = await plan_under_review(connect)
    tasks, deadline = review["arguments"]["tasks"], review["arguments"]["deadline_weeks"]
    first, last = tasks[0], tasks[-1]
    new_id = next_id(tasks)
    new = {"title": NEW_TITLE, "skills": ["Microsoft Excel", "fraud examination"], "effort_hours": 16,
           "start_week": deadline - 1, "end_week": deadline, "depends_on": [first["task_id"]]}
    resp = await decide(reviewer, review, new_tasks=[new], task_edits={last["task_id"]: {"drop": True}})
    assert resp.status_code == 200, resp.text

    goal = await goal_status(reviewer, review["goal_id"], "awaiting_review")
    stored = {t["task_id"]: t for t in goal["tasks"]}
    assert last["task_id"] not in stored and stored[new_id]["title"] == NEW_TITLE
    assert (stored[new_id]["start_week"], stored[new_id]["end_week"]) == (deadline - 1, deadline)
    executed = GoalPlan.model_validate(
        (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()["decided_arguments"])
    added = next(t for t in executed.tasks if t.task_id == new_id)
    assert added.phase == "" and added.occupations == [] and added.description == NEW_TITLE
    assert added.depends_on == [first["task_id"]] and added.skills == new["skills"]
    for task in executed.tasks:
        assert last["task_id"] not in task.depends_on, "nobody waits for a dropped task"
    staffing = (await reviewer.get(f"/api/reviews/{goal['review']['review_id']}")).json()
    assert new_id in {t["task_id"] for t in staffing["evidence"]["plan"]["tasks"]}

    events = (await reviewer.get(f"/api/goals/{review['goal_id']}/audit")).json()["data"]
    changes = next(e for e in events if e["action"] == "goal.plan_edited")["payload"]["changes"]
    assert f"{new_id} added: “{NEW_TITLE}”, weeks {deadline - 1}–{deadline}, 16 h, skills: Microsoft Excel, " \
           f"fraud examination, after {first['task_id']}" in changes
    assert f"{last['task_id']} dropped: “{last['title']}”" in changes


# --- what is refused --------------------------------------------------------------------------------------------


async def test_invalid_edits_are_refused_naming_task_and_field(connect: ClientFactory) -> None:
    review, reviewer = await plan_under_review(connect)
    tasks, deadline = review["arguments"]["tasks"], review["arguments"]["deadline_weeks"]
    task = tasks[-1]["task_id"]
    late = deadline + 54

    resp = await decide(reviewer, review, task_edits={task: {"end_week": late}})
    assert resp.status_code == 422
    body = resp.json()
    assert body["detail"] == f"{task} end week: ends in week {late}, after the goal's deadline (week {deadline})"
    assert body["issues"] == [{"task_id": task, "field": "end_week",
                               "message": f"ends in week {late}, after the goal's deadline (week {deadline})"}]

    resp = await decide(reviewer, review, task_edits={task: {"skills": ["SQL", "Underwater basket wizardry"]}})
    assert resp.status_code == 422
    unknown = f"{task} skills: unknown to the skills taxonomy: Underwater basket wizardry"
    assert resp.json()["detail"].startswith(unknown)
    assert [i["field"] for i in resp.json()["issues"]] == ["skills"]

    resp = await decide(reviewer, review, task_edits={task: {"depends_on": ["T99"]}})
    assert resp.status_code == 422
    assert resp.json()["detail"] == f"{task} dependencies: depends on T99, which is not in the plan"

    resp = await decide(reviewer, review, task_edits={task: {"depends_on": [task]}})
    assert resp.status_code == 422 and f"{task} dependencies: depends on itself" in resp.json()["detail"]

    resp = await decide(reviewer, review, task_edits={"T99": {"title": "A task that is not there"}})
    assert resp.status_code == 422 and resp.json()["detail"] == "T99 id: is not a task of this plan"

    new_id = next_id(tasks)
    resp = await decide(reviewer, review, new_tasks=[{"title": NEW_TITLE, "skills": ["SQL"], "effort_hours": 8,
                                                      "start_week": 2, "end_week": 2}])
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith(f"{new_id} end week: the task must end after it starts")
    assert resp.json()["new_task_ids"] == [new_id]

    resp = await decide(reviewer, review, new_tasks=[{"title": NEW_TITLE, "skills": ["SQL"], "effort_hours": 400,
                                                      "start_week": 0, "end_week": 1}])
    assert resp.status_code == 422 and resp.json()["detail"].startswith(f"{new_id} effort: 400 h in 1 week(s)")

    # not even well-formed: pydantic's 422 names the task and the field
    resp = await decide(reviewer, review, task_edits={task: {"effort_hours": "many"}})
    assert resp.status_code == 422
    assert any(e["loc"][-2:] == [task, "effort_hours"] for e in resp.json()["detail"]), resp.json()

    resp = await decide(reviewer, review, task_edits={t["task_id"]: {"drop": True} for t in tasks})
    assert resp.status_code == 422 and "cannot drop every task" in resp.json()["detail"]
    resp = await reviewer.post(f"/api/reviews/{review['review_id']}/decision",
                               json={"decision": "approve", "task_edits": {task: {"title": RENAMED}}})
    assert resp.status_code == 422 and "use 'edit'" in resp.json()["detail"]

    goal = (await reviewer.get(f"/api/goals/{review['goal_id']}")).json()
    assert goal["status"] == "awaiting_plan_review", "a refused edit leaves the goal waiting for its review"
    assert (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()["status"] == "pending"
    assert [t["task_id"] for t in goal["tasks"]] == [t["task_id"] for t in tasks]
    assert all(e["action"] != "goal.plan_edited"
               for e in (await reviewer.get(f"/api/goals/{review['goal_id']}/audit")).json()["data"])


async def test_a_known_skill_is_accepted_an_unknown_one_refused_with_suggestions(connect: ClientFactory) -> None:
    review, reviewer = await plan_under_review(connect)
    task = review["arguments"]["tasks"][0]["task_id"]
    resp = await decide(reviewer, review, task_edits={task: {"skills": ["Structured query langauge"]}})
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail.startswith(f"{task} skills: unknown to the skills taxonomy: Structured query langauge")
    assert detail.endswith(f"(for “Structured query langauge” try "
                           f"{', '.join(suggest_skills('Structured query langauge', top=3))})")
    resp = await decide(reviewer, review, task_edits={task: {"skills": ["  structured QUERY language sql "]}})
    assert resp.status_code == 200, resp.text
    executed = (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()["decided_arguments"]
    assert executed["tasks"][0]["skills"] == [canonical("structured query language sql")]


# --- the review page --------------------------------------------------------------------------------------------


def field_html(html: str, name: str) -> str:
    found = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert found, f"no input {name}"
    return found.group(0)


async def test_the_page_shows_errors_next_to_fields_and_keeps_what_was_typed(connect: ClientFactory) -> None:
    review, reviewer = await plan_under_review(connect)
    tasks, deadline = review["arguments"]["tasks"], review["arguments"]["deadline_weeks"]
    task, other = tasks[-1], tasks[0]
    tid = task["task_id"]
    page = (await reviewer.get(f"/reviews/{review['review_id']}")).text
    for name in (f"title_{tid}", f"effort_{tid}", f"start_{tid}", f"end_{tid}", f"after_{tid}", "title_new1"):
        field_html(page, name)
    assert 'name="assumptions"' in page and "Open issues" in page and "Questions for the manager" in page
    assert re.search(r"weeks count from the goal's start \(week 0 starts \d{1,2} \w{3} \d{4}\)", page)
    assert re.search(rf'data-testid="dates-{tid}">\d{{1,2}} \w{{3}}( \d{{4}})? – \d{{1,2}} \w{{3}} \d{{4}}<', page)
    assert f'name="effort_{tid}" size="5" value="{task["effort_hours"]}"' in page

    form = {"decision": "edit", "args_hash": review["args_hash"], f"end_{tid}": "60",
            f"title_{other['task_id']}": "My typed title for this task",
            "assumptions": "Typed assumption one\nTyped assumption two"}
    resp = await reviewer.post(f"/reviews/{review['review_id']}/decision", data=form)
    assert resp.status_code == 422
    html = resp.text
    assert 'value="60"' in field_html(html, f"end_{tid}") and 'aria-invalid="true"' in field_html(html, f"end_{tid}")
    error = re.search(rf'{re.escape(field_html(html, f"end_{tid}"))}\s*<span class="field-error" id="err-end-{tid}">'
                      r"([^<]*)</span>", html)
    assert error, "the error comes right after the end week's input"
    assert unescape(error.group(1)) == f"ends in week 60, after the goal's deadline (week {deadline})"
    assert f"{tid} end week: ends in week 60" in unescape(html), "and in the summary at the top"
    assert 'value="My typed title for this task"' in field_html(html, f"title_{other['task_id']}")
    assert "Typed assumption one\nTyped assumption two</textarea>" in html

    # fields that cannot be read: each named next to its own field, the typed values kept
    typed = {**form, f"end_{tid}": str(task["end_week"]), f"effort_{tid}": "many", "title_new1": NEW_TITLE}
    resp = await reviewer.post(f"/reviews/{review['review_id']}/decision", data=typed)
    assert resp.status_code == 422
    assert re.search(rf'id="err-effort-{tid}">must be a whole number<', resp.text)
    assert 'value="many"' in field_html(resp.text, f"effort_{tid}")
    assert f'value="{NEW_TITLE}"' in field_html(resp.text, "title_new1")
    for name in ("skills", "effort", "start", "end"):  # the new task has a title only
        assert re.search(rf'id="err-{name}-new1">is required<', resp.text), name

    more = await reviewer.post(f"/reviews/{review['review_id']}/decision", data={**form, "decision": "add_task"})
    assert more.status_code == 200 and "title_new2" in more.text and 'value="60"' in field_html(more.text, f"end_{tid}")

    again = await reviewer.post(f"/reviews/{review['review_id']}/decision",
                                data={"decision": "approve", "args_hash": review["args_hash"],
                                      f"title_{tid}": "Something else entirely here"})
    assert again.status_code == 422 and "Approve with changes" in again.text

    assert (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()["status"] == "pending"

    # the page's own form, untouched, approves the plan as proposed: nothing it shows counts as a change
    page = (await reviewer.get(f"/reviews/{review['review_id']}")).text
    resp = await reviewer.post(f"/reviews/{review['review_id']}/decision",
                               data={**form_fields(page), "decision": "approve"})
    assert resp.status_code == 303, resp.text
    assert (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()["status"] == "approved"
    decided = (await reviewer.get(f"/reviews/{review['review_id']}")).text
    assert 'data-testid="plan-tasks"' in decided and f'name="title_{tid}"' not in decided, "read-only once decided"
    assert unescape(task["title"]) in unescape(decided)


def form_fields(html: str) -> dict[str, list[str]]:
    """What a browser posts from the page's form untouched: text and hidden inputs, textareas, ticked boxes."""
    fields: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        kind = attrs.get("type", "text")
        if "name" in attrs and (kind in ("text", "hidden") or (kind == "checkbox" and " checked" in tag)):
            fields.setdefault(attrs["name"], []).append(unescape(attrs.get("value", "on")))
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        fields.setdefault(name, []).append(unescape(text))
    return fields


async def test_skill_lookup_suggests_known_names(connect: ClientFactory) -> None:
    reviewer = await connect("hr.reviewer")
    options = await reviewer.get("/skills/suggest", params={"skills_T1": "microsoft exc"},
                                 headers={"HX-Request": "true"})
    assert options.status_code == 200 and '<option value="Microsoft Excel"></option>' in options.text
    assert "<html" not in options.text
    page = await reviewer.get("/skills/suggest", params={"q": "sql"})
    assert page.status_code == 200 and "<code>SQL</code>" in page.text and 'name="q"' in page.text
    none = await reviewer.get("/skills/suggest", params={"q": "xyzzyplugh"})
    assert "No known skill matches" in none.text
    manager = await connect("mgr.payments")
    assert (await manager.get("/skills/suggest", params={"q": "sql"})).status_code == 403


def test_cli_plan_options_become_task_edits() -> None:
    from workers.cli.reviews import _plan_changes

    edits = _plan_changes(drop=["t4"], rename=["T2=New title for the task"], effort=["T1=16"], window=["T1=0-2"],
                          skills=["T3=SQL; Microsoft Excel"], after=["T3=T1,T2", "T2="])
    assert edits["T4"].drop and edits["T2"].title == "New title for the task" and edits["T2"].depends_on == []
    assert (edits["T1"].effort_hours, edits["T1"].start_week, edits["T1"].end_week) == (16, 0, 2)
    assert edits["T3"].skills == ["SQL", "Microsoft Excel"] and edits["T3"].depends_on == ["T1", "T2"]
