"""Help and legal pages every Indian online shop shows (Consumer Protection (E-Commerce)
Rules, 2020): contact details, the grievance officer, returns and refunds, shipping,
privacy and terms. A fixed set of pages whose text staff edit; the footer links them."""
