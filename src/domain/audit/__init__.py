"""The audit trail: audit signing keys and signed checkpoints of the event log."""
