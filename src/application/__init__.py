"""Use cases as an eventsourcing Application, the ports they need, the scheduler and read models."""
