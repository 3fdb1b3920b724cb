"""Mail use cases: the outbox that sends what the domain owes, and the authentication of replies."""
