"""The API's routers, one per area; ``ROUTERS`` is what the app mounts."""

from carepassport.entrypoints.http.routes import employees, operations, registrations, sponsorships

ROUTERS = (
    sponsorships.router,
    registrations.router,
    employees.router,
    operations.router,
)

__all__ = ["ROUTERS"]
