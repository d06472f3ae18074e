"""Delivery: addresses, serviceability zones, the order's delivery snapshot and shipping."""
