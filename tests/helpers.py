"""Small helpers shared by the integration tests."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD

# A valid delivery address in Bengaluru (a demo 1–3 day zone), as the checkout form posts it.
ADDRESS = {
    "name": "Asha Rao",
    "phone": "98450 12345",
    "line1": "12 MG Road",
    "line2": "Near the metro",
    "city": "Bengaluru",
    "state": "29",
    "pincode": "560001",
}


def log_in(client, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """Sign in through the form; return the renewed session's CSRF token."""
    response = client.post(
        "/account/login",
        data={"csrf_token": csrf_token_for(client), "email": email, "password": password},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return csrf_token_for(client)


def post(client, url: str, **data):
    """POST a form with the client's CSRF token (set as `client.token` by the fixture)."""
    return client.post(url, data={"csrf_token": client.token, **data})


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def audits(db, object_type: str) -> list[AuditEntry]:
    """The audit entries about one kind of object, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
        )
    )
