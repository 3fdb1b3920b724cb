"""Compliance: credentials, their standing, and the job functions that require them.

The college's decisions on credentials (suspend, reinstate, revoke, require recertification)
live here.
"""
