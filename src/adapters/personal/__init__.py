"""The per-person data keys personal data is sealed with (ADR 0023)."""
