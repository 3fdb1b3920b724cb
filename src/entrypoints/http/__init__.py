"""The HTTP API: FastAPI routes over the application's use cases (see ``app.create_app``)."""

from carepassport.entrypoints.http.app import create_app
from carepassport.entrypoints.http.problems import PROBLEM_BASE, PROBLEM_JSON

__all__ = ["PROBLEM_BASE", "PROBLEM_JSON", "create_app"]
