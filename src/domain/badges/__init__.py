"""Badges: Open Badges 3.0 credentials issued for published completions, the issuer and its
keys, and the status lists that revoke and suspend them."""
