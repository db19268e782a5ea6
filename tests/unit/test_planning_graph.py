"""The planning graph: understand → draft → ground → check → (critique → revise)* → plan, offline and with a model.

A handful of goals are planned (the MiniLM vectors load once per process); the revise step is also tested on
hand-built drafts so each of its fixes is seen on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents.models import AgentModel
from agents.planning.draft import TaskDraft
from agents.planning.graph import MAX_REVISIONS, PlanOutcome, build_graph, offline_drafter, plan_goal
from agents.planning.model_draft import DraftContext, DraftedTasks, drafting_agent, drafting_prompt
from agents.planning.revise import critique_text, revise_drafts
from agents.planning.understand import Understanding, understand
from infra.settings import Settings
from infra.store.plans import GoalPlan, PlanIssue, PlannedTask
from policies.plan_checks import check_plan
from tools.goal_text.deadlines import DeadlineError
from tools.goal_text.errors import PlanningError
from tools.taxonomy.skill_names import known_skill

TODAY = date(2026, 12, 6)
DASHBOARD = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
DASHBOARD_2_WEEKS = "Stand up a fraud-analytics dashboard for the EU cards business within 2 weeks"
Drafter = Callable[[Understanding, str | None], Awaitable[list[TaskDraft]]]


def nodes(outcome: PlanOutcome) -> list[str]:
    return [step.node for step in outcome.steps]


def recheck(plan: GoalPlan) -> list[PlanIssue]:
    """The checks the planner itself runs."""
    return check_plan(plan, known_skill=known_skill, require_grounding=True)


def assert_ordered(plan: GoalPlan) -> None:
    by_id = {t.task_id: t for t in plan.tasks}
    for t in plan.tasks:
        assert 0 <= t.start_week < t.end_week <= plan.deadline_weeks, f"{t.task_id} runs outside the deadline"
        for dep in t.depends_on:
            assert dep in by_id, f"{t.task_id} depends on {dep}, not in the plan"
            before = by_id[dep]
            assert before.start_week <= t.start_week and before.end_week <= t.end_week, (
                f"{t.task_id} ({t.start_week}-{t.end_week}) is scheduled before {dep} "
                f"({before.start_week}-{before.end_week})")


@pytest.fixture(scope="module")
async def dashboard() -> PlanOutcome:
    return await plan_goal(DASHBOARD, TODAY)


@pytest.fixture(scope="module")
async def dashboard_in_2_weeks() -> PlanOutcome:
    return await plan_goal(DASHBOARD_2_WEEKS, TODAY)


# --- the offline plan --------------------------------------------------------------------------------------------


def test_the_offline_plan_names_the_object_in_every_task(dashboard: PlanOutcome) -> None:
    plan = dashboard.plan
    assert 4 <= len(plan.tasks) <= 10
    for t in plan.tasks:
        assert "dashboard" in t.title.lower(), f"{t.task_id} “{t.title}” does not say what it works on"
    assert [t.task_id for t in plan.tasks] == [f"T{n}" for n in range(1, len(plan.tasks) + 1)]
    assert len({t.title for t in plan.tasks}) == len(plan.tasks)


def test_every_task_is_grounded_in_onet(dashboard: PlanOutcome) -> None:
    for t in dashboard.plan.tasks:
        assert t.occupations, f"{t.task_id} is tied to no occupation"
        assert t.onet_code == t.occupations[0]
        assert t.activities, f"{t.task_id} is tied to no work activity"
        assert t.skills


def test_the_windows_fit_the_deadline_and_follow_the_dependencies(dashboard: PlanOutcome) -> None:
    plan = dashboard.plan
    assert plan.deadline_weeks == 6
    assert_ordered(plan)
    assert min(t.start_week for t in plan.tasks) == 0  # work starts now …
    assert max(t.end_week for t in plan.tasks) == 6  # … and uses the time there is
    assert any(t.depends_on for t in plan.tasks), "a plan with no order between its tasks"


def test_each_effort_says_what_it_rests_on(dashboard: PlanOutcome) -> None:
    for t in dashboard.plan.tasks:
        assert t.effort_basis and f"{t.phase} work" in t.effort_basis and " h " in t.effort_basis


def test_the_steps_are_recorded_in_order(dashboard: PlanOutcome) -> None:
    steps = nodes(dashboard)
    assert steps[:4] == ["understand", "draft", "ground", "check"]
    assert steps[-1] == "plan" and steps.count("plan") == 1
    understood = dashboard.steps[0].output
    assert understood["deadline_weeks"] == 6 and understood["deadline_phrase"] == "within 6 weeks"
    assert understood["reading"]["object"] == "fraud-analytics dashboard for the EU cards business"
    assert dashboard.steps[1].output["tasks"] == [t.title for t in dashboard.plan.tasks]
    assert dashboard.steps[-1].output["plan"] == dashboard.plan.model_dump(mode="json")


def test_the_offline_plan_passes_its_own_checks(dashboard: PlanOutcome) -> None:
    assert recheck(dashboard.plan) == []
    assert dashboard.plan.open_issues == []
    assert "critique" not in nodes(dashboard)  # nothing to fix, so no revision round


def test_the_plan_states_its_reading_and_assumptions(dashboard: PlanOutcome) -> None:
    plan = dashboard.plan
    assert plan.reading is not None and plan.reading.kind == "analytics or model"
    assert "fraud-analytics dashboard" in plan.summary and "6 weeks" in plan.summary
    assert any(a.startswith("Read as analytics or model work") for a in plan.assumptions)
    assert any("40-hour weeks" in a for a in plan.assumptions)  # what the efforts rest on
    assert plan.open_questions


def test_a_short_deadline_makes_the_planner_revise(dashboard_in_2_weeks: PlanOutcome) -> None:
    outcome = dashboard_in_2_weeks
    steps = nodes(outcome)
    assert "critique" in steps and "revise" in steps
    assert steps.index("critique") == steps.index("revise") - 1
    assert steps[-1] == "plan"
    first_check = outcome.steps[steps.index("check")]
    critique = outcome.steps[steps.index("critique")]
    for issue in first_check.output["issues"]:
        assert issue["message"] in critique.output["critique"]  # every problem found goes into the critique
    assert outcome.steps[steps.index("revise")].output["changes"]


def test_after_revising_the_plan_passes_or_lists_what_is_still_wrong(dashboard_in_2_weeks: PlanOutcome) -> None:
    plan = dashboard_in_2_weeks.plan
    assert plan.deadline_weeks == 2
    assert all(t.end_week <= 2 for t in plan.tasks)
    assert plan.open_issues == recheck(plan)  # nothing wrong goes unlisted, nothing listed is fixed
    assert nodes(dashboard_in_2_weeks).count("revise") <= MAX_REVISIONS


def test_effort_cut_to_fit_a_short_deadline_is_stated(dashboard_in_2_weeks: PlanOutcome) -> None:
    capped = [s for s in dashboard_in_2_weeks.steps if s.node == "revise"
              for change in s.output["changes"] if "capped" in change]
    notes = [a for a in dashboard_in_2_weeks.plan.assumptions if "capped" in a]
    assert capped, "a 2-week dashboard cannot hold the template's effort; the planner should have cut some"
    assert len(notes) >= len(capped), "each cut effort must be told to the reviewer as an assumption"


async def test_capped_effort_stays_capped_and_is_stated_once() -> None:
    """A large hiring programme in one week: the planner caps what one person cannot do, once, and says so once."""
    outcome = await plan_goal("Hire 400 nurses for the new cardiac ward within 1 week", TODAY)
    plan = outcome.plan
    assert nodes(outcome).count("revise") == 1, "a capped effort must not be scaled again and fail the same check"
    assert plan.open_issues == [] and recheck(plan) == []
    capped = [t for t in plan.tasks if t.effort_basis.startswith("capped")]
    assert capped and all(t.effort_hours == 40 for t in capped)
    notes = [a for a in plan.assumptions if "capped" in a]
    assert len(notes) == len(set(notes)) == len(capped)
    for t in capped:
        assert any(note.startswith(f"{t.task_id} needs about") for note in notes)


def test_the_graph_has_the_documented_nodes_and_loop() -> None:
    graph = build_graph(offline_drafter).get_graph()
    assert set(graph.nodes) == {"__start__", "understand", "draft", "ground", "check", "critique", "revise",
                                "plan", "__end__"}
    edges = {(e.source, e.target) for e in graph.edges}
    assert {("check", "critique"), ("critique", "revise"), ("revise", "ground"), ("check", "plan")} <= edges


async def test_a_migration_plan_names_the_object_and_the_target() -> None:
    state = await build_graph(offline_drafter).ainvoke(
        {"text": "Move our warehouse pick-and-pack process to the new WMS before peak season", "today": TODAY,
         "steps": []})
    plan: GoalPlan = state["plan"]
    assert all("pick-and-pack" in t.title for t in plan.tasks)
    assert any("the new WMS" in t.title for t in plan.tasks)
    assert plan.deadline_weeks == 12
    assert "Deadline: assumed 12 weeks: “before peak season” is not a date." in plan.assumptions
    assert "WMS read as “warehouse management system”." in plan.assumptions
    assert_ordered(plan)


# --- the loop bound with a drafter that never gets it right --------------------------------------------------------


def always_late() -> tuple[Drafter, list[str | None]]:
    """A drafter (not the offline one) whose first task always ends three weeks after the deadline."""
    feedback_seen: list[str | None] = []

    async def drafter(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        feedback_seen.append(feedback)
        obj, weeks = understanding.reading.object, understanding.deadline.weeks
        return [
            TaskDraft(title=f"Design the {obj}", description="Design the views and measures", phase="design",
                      activity="design data dashboards and reports", hours=40, start_week=0, end_week=weeks + 3),
            TaskDraft(title=f"Build the {obj}", description="Build the data pipeline and views", phase="build",
                      activity="develop databases and data pipelines", hours=80, depends_on=[1]),
        ]

    return drafter, feedback_seen


async def test_revisions_stop_after_the_bound_and_the_plan_carries_its_open_issues() -> None:
    drafter, feedback_seen = always_late()
    outcome = await plan_goal(DASHBOARD, TODAY, drafter=drafter)
    steps = nodes(outcome)
    assert steps.count("revise") == MAX_REVISIONS
    assert steps.count("critique") == MAX_REVISIONS
    assert steps.count("check") == MAX_REVISIONS + 1
    assert steps[-1] == "plan"
    assert len(feedback_seen) == 1 + MAX_REVISIONS  # drafted once, then redrafted on every revision
    assert feedback_seen[0] is None
    critiques = [s.output["critique"] for s in outcome.steps if s.node == "critique"]
    assert feedback_seen[1:] == critiques  # the drafter is told exactly what the checks found
    assert ("T1", "end_week") in [(i.task_id, i.field) for i in outcome.plan.open_issues]
    assert outcome.plan.open_issues == recheck(outcome.plan)
    assert all("redrafted" in s.output["changes"][-1] for s in outcome.steps if s.node == "revise")


# --- goals and drafts that cannot be planned -----------------------------------------------------------------------


@pytest.mark.parametrize("text, error, message", [
    ("asdf qwer zxcv", PlanningError, "most words of this goal are not ones the planner knows"),
    ("Stand up the fraud dashboard by 1 March 2020", DeadlineError, "is not in the future"),
])
async def test_a_goal_that_cannot_be_planned_raises_with_a_sentence(text: str, error: type[PlanningError],
                                                                   message: str) -> None:
    with pytest.raises(error) as caught:
        await plan_goal(text, TODAY)
    assert message in str(caught.value)


async def test_drafts_nothing_can_be_grounded_in_are_refused() -> None:
    async def gibberish(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        return [TaskDraft(title="Xyzzy plugh", description="qwv zzk", phase="build", activity="qqq zzz xxx")]

    with pytest.raises(PlanningError, match="could not relate any task of this goal to known work"):
        await plan_goal(DASHBOARD, TODAY, drafter=gibberish)


# --- revise_drafts on hand-built drafts ----------------------------------------------------------------------------


def drafts_and_plan(windows: list[tuple[int, int]], *, hours: list[int] | None = None,
                    after: list[list[int]] | None = None, deadline: int = 6
                    ) -> tuple[list[TaskDraft], GoalPlan]:
    hours = hours or [40] * len(windows)
    after = after or [[]] * len(windows)
    drafts = [TaskDraft(title=f"Step {n} of the payroll move", description=f"Do step {n} of the payroll move",
                        phase="build", activity="convert payroll data", hours=h, depends_on=list(a))
              for n, (h, a) in enumerate(zip(hours, after, strict=True), start=1)]
    tasks = [PlannedTask(task_id=f"T{n}", title=d.title, description=d.description, skills=["Payroll"],
                         effort_hours=h, start_week=s, end_week=e, depends_on=[f"T{x}" for x in a],
                         occupations=["43-3051.00"])
             for n, (d, (s, e), h, a) in enumerate(zip(drafts, windows, hours, after, strict=True), start=1)]
    return drafts, GoalPlan(summary="payroll move", deadline_weeks=deadline, tasks=tasks)


def issue(task_id: str, field: str) -> PlanIssue:
    return PlanIssue(task_id=task_id, field=field, message="found by the checks")


def test_revise_pulls_a_late_window_inside_the_deadline() -> None:
    drafts, plan = drafts_and_plan([(0, 2), (4, 9)])
    revised, notes, changes = revise_drafts(drafts, plan, [issue("T2", "end_week")])
    assert (revised[1].start_week, revised[1].end_week) == (4, 6)
    assert notes == [] and len(changes) == 1 and changes[0].startswith("T2:")
    assert drafts[1].end_week is None, "the drafts passed in must not be changed"


def test_revise_moves_a_task_after_what_it_depends_on() -> None:
    drafts, plan = drafts_and_plan([(2, 5), (1, 3)], after=[[], [1]])
    revised, _, _ = revise_drafts(drafts, plan, [issue("T2", "start_week")])
    assert (revised[1].start_week, revised[1].end_week) == (2, 5)


def test_revise_widens_a_window_too_small_for_its_effort() -> None:
    drafts, plan = drafts_and_plan([(0, 2), (4, 5)], hours=[40, 120])
    revised, notes, changes = revise_drafts(drafts, plan, [issue("T2", "effort_hours")])
    assert (revised[1].start_week, revised[1].end_week) == (3, 6)  # three full-time weeks, ending at the deadline
    assert revised[1].hours == 120 and notes == []
    assert "widened" in changes[0]


def test_revise_caps_effort_no_one_person_can_give_and_says_so() -> None:
    drafts, plan = drafts_and_plan([(0, 2), (4, 5)], hours=[40, 400])
    revised, notes, changes = revise_drafts(drafts, plan, [issue("T2", "effort_hours")])
    assert (revised[1].start_week, revised[1].end_week) == (0, 6)
    assert revised[1].capped_hours == 6 * 40  # what one person can give by the deadline …
    assert revised[1].hours == 400  # … while the draft still says what the work needs
    assert len(notes) == 1 and "400 h" in notes[0] and "240 h" in notes[0] and "second person" in notes[0]
    assert "capped" in changes[0]


def test_revise_removes_dependencies_on_itself_later_or_missing_tasks() -> None:
    drafts, plan = drafts_and_plan([(0, 1), (1, 2), (2, 3), (3, 4)], after=[[], [1], [3, 5, 4, 1], [3]])
    revised, _, _ = revise_drafts(drafts, plan, [issue("T3", "depends_on")])
    assert revised[2].depends_on == [1]
    assert revised[3].depends_on == [3]  # the others are left alone


def test_revise_drops_a_duplicate_and_renumbers_the_dependencies() -> None:
    drafts, plan = drafts_and_plan([(0, 1), (0, 1), (1, 2), (2, 3)], after=[[], [], [1], [3]])
    revised, _, changes = revise_drafts(drafts, plan, [issue("T2", "title")])
    assert [d.title for d in revised] == [drafts[0].title, drafts[2].title, drafts[3].title]
    assert [d.depends_on for d in revised] == [[], [1], [2]]
    assert changes == ["T2: dropped as a duplicate"]


def test_revise_widens_the_activity_of_an_ungrounded_task_to_its_description() -> None:
    drafts, plan = drafts_and_plan([(0, 2)])
    revised, _, _ = revise_drafts(drafts, plan, [issue("T1", "grounding")])
    assert revised[0].activity == "build work: Do step 1 of the payroll move"


def test_issues_about_no_task_or_an_unknown_task_change_nothing() -> None:
    drafts, plan = drafts_and_plan([(0, 2)])
    revised, notes, changes = revise_drafts(drafts, plan, [PlanIssue(field="plan", message="too vague"),
                                                           issue("T7", "end_week")])
    assert revised == drafts and notes == [] and changes == []


def test_the_critique_lists_each_problem_on_a_line() -> None:
    text = critique_text([PlanIssue(task_id="T2", field="end_week", message="ends in week 9"),
                          PlanIssue(field="plan", message="no go-live task")])
    assert text == "2 problem(s) to fix:\n- T2: ends in week 9\n- no go-live task"


# --- drafting with a model -----------------------------------------------------------------------------------------


def model_for_drafting(function: Any) -> AgentModel:
    return AgentModel(config=Settings().agent_model("draft_tasks"), model=FunctionModel(function,
                                                                                          model_name="drafting-llm"))


async def test_a_draft_depending_on_a_later_task_goes_back_with_the_reason() -> None:
    answers: list[str] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        answers.append(str(messages[-1].parts[-1]))
        first = len(answers) == 1
        tasks = [{"title": "Agree the dashboard's measures", "phase": "discover", "description": "Agree them",
                  "activity": "identify performance measures", "depends_on": [2] if first else []},
                 {"title": "Build the dashboard", "phase": "build", "description": "Build it",
                  "activity": "develop business intelligence reports", "depends_on": [1]}]
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"tasks": tasks})])

    context = DraftContext()
    result = await drafting_agent(model_for_drafting(model)).run("Goal: a dashboard", deps=context)
    assert result.output.tasks[0].depends_on == []
    assert context.problems == ["task 1 (“Agree the dashboard's measures”) depends on [2]; it may depend on no "
                                "other task"]
    assert "it may depend on no other task" in answers[1]


def test_the_prompt_tells_the_model_what_the_planner_read() -> None:
    found = understand("Move our warehouse pick-and-pack process to the new WMS by Q3 2027; we can't lose an order",
                       TODAY)
    prompt = drafting_prompt(found, None)
    assert "Object: warehouse pick-and-pack process" in prompt
    assert "Moves to: the new WMS" in prompt
    assert "Kind of work: migration" in prompt
    assert "Constraints: we can't lose an order" in prompt or "can't lose an order" in prompt
    assert "WMS = warehouse management system" in prompt
    assert f"Deadline: {found.deadline.weeks} weeks" in prompt
    assert "problems" not in prompt
    assert "- T1: ends in week 9" in drafting_prompt(found, "1 problem(s) to fix:\n- T1: ends in week 9")


def user_prompts(messages: list[ModelMessage]) -> str:
    return "\n".join(part.content for m in messages if isinstance(m, ModelRequest) for part in m.parts
                     if isinstance(part, UserPromptPart) and isinstance(part.content, str))


async def test_a_models_tasks_are_grounded_checked_and_revised_from_the_critique() -> None:
    prompts: list[str] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.append(user_prompts(messages))
        first = len(prompts) == 1  # the first answer puts 400 h into a 4-week build; the redraft fixes it
        tasks = [
            {"title": "Agree the fraud measures the dashboard shows", "phase": "discover", "hours": 40,
             "description": "Agree the fraud measures with the card risk team",
             "activity": "identify fraud performance measures"},
            {"title": "Build the fraud dashboard's data pipeline", "phase": "build", "hours": 400 if first else 120,
             "description": "Load card transactions and confirmed fraud cases", "depends_on": [1],
             "activity": "develop databases and data pipelines"},
            {"title": "Test the fraud dashboard with the fraud analysts", "phase": "test", "hours": 60,
             "description": "Reconcile the figures with the fraud team's", "depends_on": [2],
             "activity": "verify the accuracy of data and reports"},
            {"title": "Launch the fraud dashboard to the risk team", "phase": "go live", "hours": 30,
             "description": "Hand over to the risk team and train them", "depends_on": [3],
             "activity": "train users and present findings"},
        ]
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"tasks": tasks})])

    agent = drafting_agent(model_for_drafting(model))

    async def with_model(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        result = await agent.run(drafting_prompt(understanding, feedback), deps=DraftContext())
        assert isinstance(result.output, DraftedTasks)
        return result.output.drafts()

    outcome = await plan_goal(DASHBOARD, TODAY, drafter=with_model)
    plan = outcome.plan
    assert [t.title for t in plan.tasks] == [
        "Agree the fraud measures the dashboard shows", "Build the fraud dashboard's data pipeline",
        "Test the fraud dashboard with the fraud analysts", "Launch the fraud dashboard to the risk team"]
    assert all(t.occupations and t.activities for t in plan.tasks)
    assert plan.tasks[1].effort_hours == 120 and plan.tasks[1].depends_on == ["T1"]
    assert_ordered(plan)
    assert plan.open_issues == [] and recheck(plan) == []
    assert nodes(outcome).count("revise") == 1

    assert len(prompts) == 2
    assert "Object: fraud-analytics dashboard for the EU cards business" in prompts[0]
    assert DASHBOARD in prompts[0]
    critique = next(s.output["critique"] for s in outcome.steps if s.node == "critique")
    assert "T2: 400 h in 4 week(s)" in critique
    assert critique not in prompts[0] and critique in prompts[1]
