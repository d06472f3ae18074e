"""Automatic sales and coupon codes, stored; the rules themselves are in shop.pricing."""
