"""Doctor accounts: the `doctor` role is always linked to one Doctor profile (SPEC §14)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shop.accounts.models import User
from shop.questions.models import Question
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD, make_doctor, make_user
from tests.helpers import count, log_in
from tests.questions import user_by_email

PASSWORD = "a long demo password"


def create_user(runner, *args: str):
    return runner.invoke(
        args=["create-user", *args, "--password-stdin"], input=DEFAULT_PASSWORD + "\n"
    )


def test_create_user_links_a_doctor_account_to_its_profile(runner, db):
    doctor = make_doctor("dr-test")
    db.session.commit()
    result = create_user(runner, "dr@example.com", "--role", "doctor", "--doctor", "dr-test")
    assert result.exit_code == 0, result.output
    assert "with role doctor" in result.output
    user = user_by_email("dr@example.com")
    assert user.role == "doctor" and user.doctor_id == doctor.id and user.is_doctor


@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "doctor"], "--doctor SLUG"),
        (["--role", "doctor", "--doctor", "nobody"], "no doctor profile"),
        (["--role", "staff", "--doctor", "dr-test"], "only for --role doctor"),
        (["--role", "doctor", "--doctor", "dr-taken"], "already linked"),
    ],
)
def test_create_user_refuses_a_doctor_without_a_free_profile(runner, db, args, message):
    make_doctor("dr-test")
    taken = make_doctor("dr-taken")
    holder = make_user("holder@example.com")
    holder.role, holder.doctor_id = "doctor", taken.id
    db.session.commit()
    result = create_user(runner, "new@example.com", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert user_by_email("new@example.com") is None


def test_the_database_keeps_role_and_profile_together(db):
    user = make_user("plain@example.com")
    db.session.commit()
    user.role = "doctor"  # no profile
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    doctor = make_doctor()
    user = user_by_email("plain@example.com")
    user.doctor_id = doctor.id  # a profile without the role
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.fixture()
def admin(app, db):
    make_user("boss@example.com", role="admin")
    db.session.commit()
    client = app.test_client()
    log_in(client, "boss@example.com")
    return client


def set_role(client, user_id: int, role: str, doctor: str = ""):
    return client.post(
        f"/staff/users/{user_id}/role",
        data={"csrf_token": csrf_token_for(client), "role": role, "doctor": doctor},
    )


def test_admins_make_a_doctor_in_the_users_screen(app, admin, db):
    doctor = make_doctor("dr-screen")
    user = make_user("new-doctor@example.com")
    db.session.commit()
    page = admin.get(f"/staff/users/{user.id}").get_data(as_text=True)
    assert 'name="doctor"' in page and "dr-screen" in page

    assert set_role(admin, user.id, "doctor").status_code == 422
    assert set_role(admin, user.id, "doctor", "nobody").status_code == 422
    assert set_role(admin, user.id, "doctor", "dr-\x00screen").status_code in (400, 422)
    assert user_by_email("new-doctor@example.com").role == "customer"

    response = set_role(admin, user.id, "doctor", "dr-screen")
    assert response.status_code == 303
    saved = user_by_email("new-doctor@example.com")
    assert saved.role == "doctor" and saved.doctor_id == doctor.id
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "change_role")).one()
    assert entry.before == {"role": "customer", "doctor_id": None}
    assert entry.after == {"role": "doctor", "doctor_id": doctor.id}

    doctor_client = app.test_client()
    log_in(doctor_client, "new-doctor@example.com")
    assert doctor_client.get("/doctor/").status_code == 200
    assert "Doctor's inbox" in doctor_client.get("/").get_data(as_text=True)

    other = make_user("second@example.com")
    db.session.commit()
    taken = set_role(admin, other.id, "doctor", "dr-screen")
    assert taken.status_code == 409 and "already linked" in taken.get_data(as_text=True)
    assert user_by_email("second@example.com").role == "customer"

    assert set_role(admin, user.id, "customer").status_code == 303
    back = user_by_email("new-doctor@example.com")
    assert back.role == "customer" and back.doctor_id is None
    assert doctor_client.get("/doctor/").status_code in (302, 403)  # sessions ended


def test_seed_demo_gives_the_four_doctors_accounts_and_three_answers(
    runner, client, db, monkeypatch
):
    monkeypatch.setenv("SHOP_DEMO_STAFF_PASSWORD", PASSWORD)
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for email in (
        "ananya.rao@example.com",
        "vikram.mehta@example.com",
        "farah.qureshi@example.com",
        "rohan.iyer@example.com",
    ):
        assert f"Demo doctor login: {email} / {PASSWORD}" in first.output
        assert user_by_email(email).is_doctor
    assert count(db, Question) == 3
    published = db.session.scalars(select(Question).where(Question.status == "published")).all()
    assert len(published) == 3
    for question in published:
        assert "not a substitute for seeing a doctor" in question.public_answer
        assert question.email is None
        page = client.get(f"/questions/{question.id}-{question.slug}")
        assert page.status_code == 200, question.slug
    condition = client.get("/conditions/muscle-spasm").get_data(as_text=True)
    assert condition.count("Answered by Dr.") == 3
    assert "10 years of experience" in condition

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "Demo doctor login" not in second.output
    assert "nothing changed" in second.output
    assert count(db, Question) == 3
    assert db.session.scalar(select(func.count()).where(User.role == "doctor")) == 4

    doctor = client.post(
        "/account/login",
        data={
            "csrf_token": csrf_token_for(client),
            "email": "vikram.mehta@example.com",
            "password": PASSWORD,
        },
    )
    assert doctor.status_code == 303
    assert client.get("/doctor/").status_code == 200


def test_seed_demo_prints_generated_doctor_passwords_once(runner, db, monkeypatch):
    monkeypatch.delenv("SHOP_DEMO_STAFF_PASSWORD", raising=False)
    first = runner.invoke(args=["seed-demo"])
    lines = [line for line in first.output.splitlines() if line.startswith("Demo doctor login")]
    assert len(lines) == 4
    passwords = {line.rsplit(" / ", 1)[1] for line in lines}
    assert len(passwords) == 4 and all(len(p) >= 12 for p in passwords)
