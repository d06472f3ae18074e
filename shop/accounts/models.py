"""The User: an e-mail, an Argon2id password hash, a role and a session version.

`session_version` is part of the id Flask-Login keeps in the session cookie. Logging
out or changing the password bumps it, so every cookie issued before stops working,
including a copy an attacker may hold.
"""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.accounts.emails import customer_key
from shop.database import UTCDateTime, utcnow
from shop.extensions import db

ROLES = ("customer", "staff", "admin", "doctor", "pharmacist")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('customer', 'staff', 'admin', 'doctor', 'pharmacist')", name="role_known"
        ),
        # A doctor account always answers as one Doctor profile, and only doctors do.
        CheckConstraint(
            "(role = 'doctor' AND doctor_id IS NOT NULL) "
            "OR (role <> 'doctor' AND doctor_id IS NULL)",
            name="doctor_profile",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="customer")
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), unique=True)

    def get_id(self) -> str:
        """The id kept in the session: changes whenever old sessions must end."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_pharmacist(self) -> bool:
        """Reviews prescriptions (SPEC §15); admins may too."""
        return self.role in ("pharmacist", "admin")

    @property
    def is_doctor(self) -> bool:
        return self.role == "doctor" and self.doctor_id is not None

    @property
    def customer_key(self) -> str:
        """Whom per-customer coupon limits count against: the same key as a guest
        checkout with this e-mail (or its `+tag` and Gmail-dot spellings) gets."""
        return customer_key(self.email)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
