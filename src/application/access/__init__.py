"""Access use cases: issuing, checking and revoking API tokens."""
