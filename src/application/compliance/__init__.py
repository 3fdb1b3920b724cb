"""Compliance use cases: credential decisions, job functions, requirements, status and reports."""
