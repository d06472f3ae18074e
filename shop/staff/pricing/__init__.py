"""Back office: sales, coupons (with their uses) and the shipping rate.

Staff type money in rupees as on a price tag ("49", "499.50"); forms hold it as paise.
Times are typed in UTC (the form says so), because the shop stores and compares UTC.
The pricing rules themselves live in `shop.pricing.engine`; these screens only edit the
rows that `shop.discounts.service` loads into it.
"""
