"""Back office: sales, coupons (with their uses) and the shipping rate.

Staff type money in rupees as on a price tag ("49", "499.50"); forms hold it as paise.
Times are typed on the shop's clock (`SHOP_TIMEZONE`, named on the form) and stored in UTC.
The pricing rules themselves live in `shop.pricing.engine`; these screens only edit the
rows that `shop.discounts.service` loads into it.
"""
