"""The hosted checkout page: what the shopper sees instead of Stripe Checkout.

Plain HTML forms, no script. Pay completes the session and sends the shopper to the
`success_url`; Decline shows the card error and leaves the session open; Cancel goes
back to the `cancel_url`; the bank-transfer button completes the session unpaid, to be
settled later through the test-control endpoints.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template_string, request
from werkzeug.wrappers import Response

from .api import current_sandbox
from .params import SandboxError
from .values import format_amount

bp = Blueprint("stripe_sandbox_hosted", __name__, url_prefix="/pay")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Stripe sandbox checkout</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 34rem; margin: 2rem auto;
         padding: 0 1rem; color: #1a1a1a; }
  .banner { background: #fff4d6; border: 1px solid #e0b84c; padding: .6rem .8rem;
            border-radius: .4rem; font-weight: 600; }
  table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
  td, th { padding: .35rem 0; text-align: left; border-bottom: 1px solid #eee; }
  .num { text-align: right; white-space: nowrap; padding-left: .75rem; }
  .error { color: #a30000; font-weight: 600; }
  form { display: inline-block; margin: .3rem .3rem 0 0; }
  button { font-size: 1rem; padding: .5rem 1rem; cursor: pointer; }
  .small button { font-size: .8rem; padding: .3rem .6rem; }
</style>
</head>
<body>
{% macro row(key, label, amount) -%}
  <tr data-row="{{ key }}"><th scope="row">{{ label }}</th><td></td>
    <td class="num">{{ amount }}</td></tr>
{%- endmacro %}
<p class="banner">Stripe sandbox — test payments, no real money</p>
{% if session is none %}
  <h1>Checkout session not found</h1>
  <p>No checkout session has the id {{ session_id }}.</p>
{% else %}
  <h1>Pay {{ total }}</h1>
  {% if message %}<p class="error" role="alert">{{ message }}</p>{% endif %}
  <table>
    <thead><tr><th>Item</th><th class="num">Qty</th><th class="num">Amount</th></tr></thead>
    <tbody>
    {% for item in items %}
      <tr><td>{{ item.description }}</td><td class="num">{{ item.quantity }}</td>
          <td class="num">{{ item.display }}</td></tr>
    {% endfor %}
    </tbody>
    <tfoot>
      {{ row("subtotal", "Subtotal", subtotal) }}
      {% for name in coupon_names %}
        {{ row("discount", "Coupon " ~ name, "−" ~ discount) }}
      {% endfor %}
      {% if shipping is not none %}
        {{ row("shipping", "Shipping (" ~ shipping_name ~ ")", shipping) }}
      {% endif %}
      {{ row("total", "Total due", total) }}
    </tfoot>
  </table>
  {% if session.status == "open" %}
    <form method="post" action="{{ base }}/pay">
      {% if not session.customer_email %}
        <label>Email <input type="email" name="email" value="{{ default_email }}"></label><br>
      {% endif %}
      <button type="submit">Pay</button>
    </form>
    <form method="post" action="{{ base }}/decline"><button type="submit">Decline</button></form>
    {% if session.cancel_url %}
      <form method="post" action="{{ base }}/cancel"><button type="submit">Cancel</button></form>
    {% endif %}
    <div class="small">
      <form method="post" action="{{ base }}/pay_delayed">
        <button type="submit">Pay by bank transfer (delayed)</button>
      </form>
    </div>
  {% elif session.status == "expired" %}
    <p>This checkout session has expired. Nothing was charged.</p>
  {% else %}
    <p>This checkout session is complete ({{ session.payment_status }}).</p>
  {% endif %}
{% endif %}
</body>
</html>
"""


def _render(session_id: str, *, message: str | None = None, status: int = 200) -> Response:
    sandbox = current_sandbox()
    try:
        session = sandbox.get_session(session_id, ["line_items"])
    except SandboxError:
        html = render_template_string(PAGE, session=None, session_id=session_id)
        return Response(html, status=404, mimetype="text/html")
    currency = session["currency"]
    # As on Stripe's own page: each item at its price, then the coupon, then shipping.
    items = [
        {**item, "display": format_amount(item["amount_subtotal"], currency)}
        for item in session["line_items"]["data"]
    ]
    details = session["total_details"]
    cost = session["shipping_cost"]
    html = render_template_string(
        PAGE,
        session=session,
        items=items,
        subtotal=format_amount(session["amount_subtotal"], currency),
        discount=format_amount(details["amount_discount"], currency),
        shipping=None if cost is None else _fee(cost["amount_total"], currency),
        total=format_amount(session["amount_total"], currency),
        **sandbox.breakdown(session_id),
        message=message,
        base=f"/pay/{session_id}",
        default_email="test.buyer@example.com",
    )
    return Response(html, status=status, mimetype="text/html")


def _fee(amount: int, currency: str) -> str:
    return format_amount(amount, currency) if amount else "Free"


def success_location(session: dict) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


@bp.get("/<session_id>")
def show(session_id: str) -> Response:
    return _render(session_id)


@bp.post("/<session_id>/<action>")
def act(session_id: str, action: str) -> Response:
    sandbox = current_sandbox()
    email = (request.form.get("email") or "").strip() or None
    try:
        if action == "pay":
            return redirect(success_location(sandbox.pay(session_id, email)), 303)
        if action == "pay_delayed":
            return redirect(success_location(sandbox.pay_delayed(session_id, email)), 303)
        if action == "decline":
            sandbox.decline(session_id)
            return _render(session_id, message="Your card was declined.")
        if action == "cancel":
            session = sandbox.cancel(session_id)
            if not session["cancel_url"]:
                return _render(session_id, message="This session has no cancel URL.", status=400)
            return redirect(session["cancel_url"], 303)
    except SandboxError as err:
        return _render(session_id, message=err.message, status=409 if err.status == 400 else 404)
    return _render(session_id, message="Unknown action.", status=404)
