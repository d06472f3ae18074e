"""Tests of the Stripe-compatible payment sandbox, through the real stripe library."""
