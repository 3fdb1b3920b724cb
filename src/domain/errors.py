"""Domain errors. Each carries a stable ``code`` that entrypoints map to exit codes and problems."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused by a business rule; nothing was recorded."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The command names something the store does not hold."""

    code = "not_found"


class AlreadyExists(DomainError):
    """The command would create something that already exists."""

    code = "already_exists"


class InvalidValue(DomainError):
    """A value does not have the form the domain requires."""

    code = "invalid_value"


class NotAnApprover(DomainError):
    """The address is not a registered approver of the employee's employer (R3)."""

    code = "not_an_approver"


class InvalidTransition(DomainError):
    """The aggregate is not in a state that allows the command."""

    code = "invalid_state"


class RegistrationRefused(DomainError):
    """A registration is not allowed (R5, R13)."""

    code = "registration_refused"


class AlreadyRequested(DomainError):
    """An open sponsorship request already names the micro-credential."""

    code = "already_requested"


class ClockWentBackwards(DomainError):
    """A writing command's time is earlier than the latest recorded event."""

    code = "clock_went_backwards"
