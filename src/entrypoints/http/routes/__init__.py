"""The API's routers, one per area; ``ROUTERS`` is what the app mounts."""

from carepassport.entrypoints.http.routes import (
    audit,
    badges,
    credentials,
    employees,
    lms,
    mail,
    matching,
    operations,
    records,
    reference,
    registrations,
    reports,
    sponsorships,
)

ROUTERS = (
    sponsorships.router,
    registrations.router,
    employees.router,
    reports.router,
    reference.router,
    credentials.router,
    lms.router,
    records.router,
    mail.router,
    operations.router,
    badges.router,
    badges.public,
    matching.router,
    audit.public,
)

__all__ = ["ROUTERS"]
