"""The stored topics of classes that moved.

Every stored event and snapshot names its class by topic (``module:qualname``). A store written
before the capability layout names the old flat modules (``carepassport.domain.sponsorship:
Sponsorship.SponsorshipRequested``); each old module is registered here as an alias of the
module that now holds its classes, so old events resolve to the same classes, while new events
are recorded under their new topics. Never remove an entry: a store keeps its topics forever.
See docs/adr/0018-capability-layout.md.
"""

from __future__ import annotations

from types import ModuleType

from eventsourcing.utils import get_topic, register_topic

from carepassport.domain.access import api_access
from carepassport.domain.compliance import credential, job_function
from carepassport.domain.mail import delivery, notification
from carepassport.domain.training import (
    approval_reply,
    attempts,
    completion,
    lms,
    lms_access,
    policies,
    registration,
    sponsorship,
    student_numbers,
)

MOVED_MODULES: dict[str, ModuleType] = {
    "carepassport.domain.api_access": api_access,
    "carepassport.domain.approval_reply": approval_reply,
    "carepassport.domain.attempts": attempts,
    "carepassport.domain.completion": completion,
    "carepassport.domain.credential": credential,
    "carepassport.domain.delivery": delivery,
    "carepassport.domain.job_function": job_function,
    "carepassport.domain.lms": lms,
    "carepassport.domain.lms_access": lms_access,
    "carepassport.domain.notification": notification,
    "carepassport.domain.policies": policies,
    "carepassport.domain.registration": registration,
    "carepassport.domain.sponsorship": sponsorship,
    "carepassport.domain.student_numbers": student_numbers,
}
"""Old module -> the module that holds its classes now. The old ``carepassport.domain.compliance``
(enums and pure rules, never a stored class) is not aliased: its name is now the compliance
package's, and an alias would divert that package's own topics."""


def register_moved_topics() -> None:
    """Make every old topic resolve to its class (idempotent)."""
    for old, module in MOVED_MODULES.items():
        register_topic(old, module)


def stored_topics(kind: type) -> list[str]:
    """Every topic a store may hold events of ``kind`` under: its own and its old names."""
    topic = get_topic(kind)
    module, _, name = topic.partition(":")
    old = [f"{alias}:{name}" for alias, moved in MOVED_MODULES.items() if moved.__name__ == module]
    return [topic, *old]
