"""Access: API tokens, their roles and scopes, and their revocation."""
