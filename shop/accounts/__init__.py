"""Accounts: users and roles, sign-in, registration, password changes and resets."""
