"""Training use cases: requests, approvals (by reply or by hand), registration, LMS sync."""
