"""Thin entrypoints: parse, call the application, present. No business rules here."""
