"""Adding console users: validated, hashed, audited, and able to sign in."""

from __future__ import annotations

import uuid

import pytest

from infra.store.users import User
from workflows import usecases
from workflows.usecases import Services

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"


@pytest.mark.parametrize("changes, error, message", [
    ({"role": "superuser"}, usecases.Invalid, "unknown role"),
    ({"password": "short"}, usecases.Invalid, "at least 12"),
    ({"login": "has space"}, usecases.Invalid, "without spaces"),
    ({"employee_id": "E9999"}, usecases.Invalid, "unknown employee"),
    ({"department": "nowhere"}, usecases.Invalid, "unknown department"),
    ({"login": "hr.reviewer"}, usecases.Conflict, "taken"),
])
async def test_bad_users_are_refused(services: Services, changes: dict[str, str], error: type[Exception],
                                     message: str) -> None:
    fields = {"login": f"qa-{uuid.uuid4().hex[:6]}", "display_name": "QA", "role": "reviewer",
              "password": PASSWORD, "by": "admin", **changes}
    with pytest.raises(error, match=message):
        await usecases.create_user(services, **fields)


async def test_a_new_user_signs_in_and_the_creation_is_audited(services: Services) -> None:
    login = f"qa-{uuid.uuid4().hex[:6]}"
    user = await usecases.create_user(services, login=login, display_name="QA Employee", role="employee",
                                     password=PASSWORD, by="admin", employee_id="E0103")
    assert user == User(login=login, display_name="QA Employee", role="employee", employee_id="E0103",
                        department=None)
    stored = await services.pool.fetchval("SELECT password_hash FROM users WHERE login = $1", login)
    assert stored.startswith("$argon2") and PASSWORD not in stored
    signed_in = await usecases.check_password(services, login, PASSWORD, address="test")
    assert signed_in is not None and signed_in.login == login
    assert await usecases.check_password(services, login, PASSWORD + "!", address="test") is None
    event = await services.pool.fetchrow(
        "SELECT actor, payload FROM audit_events WHERE action = 'user.created' AND payload->>'login' = $1", login)
    assert event is not None and event["actor"] == "admin" and event["payload"]["role"] == "employee"
