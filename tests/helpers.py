"""Small helpers shared by the integration tests."""

from __future__ import annotations

from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD


def log_in(client, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """Sign in through the form; return the renewed session's CSRF token."""
    response = client.post("/account/login", data={
        "csrf_token": csrf_token_for(client), "email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    return csrf_token_for(client)
