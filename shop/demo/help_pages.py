"""Demo text of the help and legal pages, written for this fictitious shop.

Names, addresses, phone numbers and e-mail addresses are made up (`example` domains). A
real shop replaces every page in the back office (/staff/help-pages/) before going live.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.help.models import HelpPage

ADDRESS = "Remedy Shop Demo Pvt. Ltd.\n12 Example Road, Demo Layout\nBengaluru 560001, Karnataka"

PAGES: dict[str, dict[str, str]] = {
    "contact": {
        "title": "Contact us",
        "summary": "How to reach the Remedy Shop team about an order, a product or this site.",
        "contact_name": "Customer care team",
        "contact_role": "Customer care",
        "contact_email": "care@remedyshop.example",
        "contact_phone": "+91 80 4000 1200",
        "contact_address": ADDRESS,
        "body": """\
We answer every message ourselves, Monday to Saturday, 9:00 to 18:00 IST.

## About an order

Write to us with your order number (it starts with **RS-** and is in your confirmation
e-mail). Signed-in customers also find every order under **Account → Orders**.

## About a product

We can tell you what is in a product, how it is packed and when it will be back in
stock. We cannot tell you whether a product is right for your health: please ask a
doctor or pharmacist who knows your history.

## Who runs this shop

Remedy Shop is run by Remedy Shop Demo Pvt. Ltd., a fictitious company used for this
demonstration, registered at the address below. The GSTIN is printed on every tax
invoice.

If we have not solved a problem for you, our grievance officer will: see
[Grievance officer](/help/grievance-officer).
""",
    },
    "grievance-officer": {
        "title": "Grievance officer",
        "summary": "Who handles complaints about Remedy Shop, and how quickly we answer.",
        "contact_name": "Meera Nair",
        "contact_role": "Grievance officer",
        "contact_email": "grievance@remedyshop.example",
        "contact_phone": "+91 80 4000 1234",
        "contact_address": ADDRESS,
        "body": """\
As the Consumer Protection (E-Commerce) Rules, 2020 require, we have named a grievance
officer who looks into complaints that our customer care team has not settled.

## How to complain

Write to the grievance officer by e-mail or post, or call during office hours
(Monday to Saturday, 10:00 to 17:00 IST). Please include:

- your name and how we can reach you;
- the order number, if the complaint is about an order;
- what went wrong, and what you would like us to do.

## What happens next

- We **acknowledge your complaint within 48 hours** of receiving it, with a reference.
- We **resolve it within one month** of receiving it, and tell you what we decided and why.

If you are not satisfied with our answer, you may approach the National Consumer
Helpline or the consumer commission for your district.
""",
    },
    "returns-and-refunds": {
        "title": "Returns and refunds",
        "summary": "What can come back, how to send it, and when your money is returned.",
        "body": """\
## Damaged, wrong or expired items

If an item arrives damaged, is not what you ordered, or is past its expiry date, tell us
within **7 days of delivery** with your order number and a photo. We send a replacement
or refund the item in full, including any shipping you paid, and arrange the pickup.

## Items you no longer want

Sealed items that are not medicines may be returned within **7 days of delivery**, in
their original packaging. For the safety of every customer we cannot take back
medicines, supplements or personal-care items once their seal is opened.

## Cancelling an order

You can ask us to cancel an order until it is shipped. An order that was never paid is
cancelled on its own when its payment window closes, and nothing is charged.

## Refunds

Refunds go back to the way you paid, within **7 working days** of our accepting the
return or cancellation. Your bank may take a few more days to show it. You receive a
credit note for every refund, alongside the original tax invoice.
""",
    },
    "shipping": {
        "title": "Shipping",
        "summary": "Where we deliver, what it costs and how long it takes.",
        "body": """\
## Where we deliver

We deliver to the PIN codes our courier partners serve. Check yours in the cart or on
the checkout page before you pay; we never take payment for an address we cannot reach.

## What it costs

Shipping is **₹49** per order, and **free from ₹499** (after any coupon). The amount is
shown in the cart and at checkout before you pay, and all prices include GST.

## How long it takes

We pack paid orders within one working day. The checkout shows an estimate for your
PIN code, usually 2 to 7 days. Once your order leaves us you get the courier's name and
a tracking link on your order page.

## If something goes wrong

If a parcel is late, damaged or missing, write to [customer care](/help/contact) with
your order number.
""",
    },
    "privacy": {
        "title": "Privacy",
        "summary": "What we collect about you, why, how long we keep it, and your choices.",
        "body": """\
## What we collect

- **To deliver your order**: your name, phone number, e-mail and delivery address.
- **For your account**: your e-mail and a scrambled (hashed) form of your password —
  we cannot read the password itself.
- **Your cart**: what you put in it, kept so it is still there when you come back.
- **Questions to our doctors**: the question you send, so that a doctor can answer it.

We do **not** see or keep your card or bank details: payments are handled by our
payment provider, which tells us only whether a payment went through.

## Why we use it

To take and deliver orders, issue tax invoices, answer you, and keep the shop secure
(for example, by limiting repeated failed sign-ins). We do not sell your data, and we do
not use it for advertising.

## How long we keep it

Orders and invoices for as long as tax law requires (at least eight years); carts and
unused accounts for less. You may ask us to correct your details, or to delete an
account and the data we are not obliged to keep.

## Questions

Write to our [grievance officer](/help/grievance-officer) about anything on this page.
""",
    },
    "terms": {
        "title": "Terms of use",
        "summary": "The rules for using this site and buying from Remedy Shop.",
        "body": """\
## Who we are

This shop is run by Remedy Shop Demo Pvt. Ltd., Bengaluru (a fictitious company for
this demonstration). Our contact details are on the [Contact us](/help/contact) page.

## Health information

Our articles explain common health problems in plain words. They are general
information, **not a substitute for advice from a doctor** who knows your history. Seek
urgent care for the warning signs each article lists.

## Prices and orders

Prices are in Indian rupees and include GST. The price you pay is the one shown at
checkout; an order is accepted when its payment is confirmed, and we e-mail you a
confirmation and a tax invoice. If we cannot supply an item after all, we refund it in
full.

## Using the site

Please do not misuse the site, for example by trying to break into accounts or by
sending automated traffic. We may suspend accounts that do.

## Law and disputes

These terms are governed by the laws of India. Complaints go first to our
[grievance officer](/help/grievance-officer); the courts of Bengaluru have jurisdiction.
""",
    },
}


def seed_help_pages(session: Session) -> int:
    """Add the demo text of each page not written yet; how many were added."""
    have = set(session.scalars(select(HelpPage.slug)))
    added = 0
    for slug, fields in PAGES.items():
        if slug not in have:
            session.add(HelpPage(slug=slug, **{"summary": "", "body": "", **fields}))
            added += 1
    return added
