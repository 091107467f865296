"""Patrons' pledges of money (card through Stripe, or a transfer staff confirm) and goods toward needs."""
