"""An agent whose every answer goes through the product's checks before it is accepted.

A failed check goes back to the model with the exact reason (pydantic-ai's ``ModelRetry``), at most the model's
output-retry budget; the reasons are kept on the run's context so a step that gives up can say what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from pydantic_ai import Agent, ModelRetry, RunContext

from agents.models import AgentModel, output_spec


class CollectsProblems(Protocol):
    """A run context that keeps what the checks said about each rejected answer."""

    problems: list[str]


DepsT = TypeVar("DepsT", bound=CollectsProblems)
OutputT = TypeVar("OutputT")


def checked_agent(model: AgentModel, *, name: str, instructions: str, deps_type: type[DepsT],
                  output_type: type[OutputT], check: Callable[[DepsT, OutputT], list[str]]) -> Agent[DepsT, OutputT]:
    """An agent on ``model`` whose answers must pass ``check`` (which returns the problems, one sentence each)."""
    assert model.model is not None, "the offline planner runs without an agent"
    agent: Agent[DepsT, OutputT] = Agent(
        model.model, deps_type=deps_type, output_type=output_spec(output_type, model.config.output_mode),
        instructions=instructions, name=name, model_settings=model.run_settings(),
        retries={"output": model.config.output_retries, "tools": model.config.output_retries})

    @agent.output_validator
    def _checked(ctx: RunContext[DepsT], output: OutputT) -> OutputT:
        problems = check(ctx.deps, output)
        if problems:
            reason = "; ".join(problems)
            ctx.deps.problems.append(reason)
            raise ModelRetry(f"Fix these problems and answer again: {reason}")
        return output

    return agent
