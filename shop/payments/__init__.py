"""Payments: the only package that talks to Stripe (gateway, webhooks, sandbox)."""
