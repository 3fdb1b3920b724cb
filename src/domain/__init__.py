"""The pure domain model: aggregates, their events, value objects and policies.

Imports only the standard library, attrs and eventsourcing.domain. Reads no clock, does no I/O.
"""
