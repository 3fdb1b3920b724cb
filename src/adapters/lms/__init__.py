"""LMS adapters: an in-memory fake and the CLI's staging LMS fed by CSV imports."""
