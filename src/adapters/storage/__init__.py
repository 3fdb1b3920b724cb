"""Derived views (deadline index, outbox) kept beside the event store, one module a store."""
