"""Card payments: the Stripe gateway (`gateway.py`) and nothing else.

It knows no domain: callers hand in the ids, amounts and addresses a call needs, and read back plain
dicts. Pledges decide what a payment means; this package only talks to Stripe.
"""
