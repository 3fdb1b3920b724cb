"""Badges: Open Badges 3.0 credentials issued at publication, verified, revoked, stacked."""
