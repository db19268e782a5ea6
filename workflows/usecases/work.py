"""A person's own work: the tasks they are staffed on, with the time share, the dates and why them."""

from __future__ import annotations

from infra.store import assignments
from infra.store.assignments import PersonAssignment
from infra.store.users import User
from workflows.usecases.context import Services
from workflows.usecases.errors import NotFound


async def my_assignments(svc: Services, user: User) -> list[PersonAssignment]:
    """What ``user`` is staffed on, earliest first.

    Raises:
        NotFound: The login is not an employee (so it cannot be staffed).
    """
    if not user.employee_id:
        raise NotFound("your login has no employee record, so nobody can staff you")
    return await assignments.for_employee(svc.pool, user.employee_id)
