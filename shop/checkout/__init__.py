"""Checkout and orders: placing an order with stock and coupon holds, its state machine."""
