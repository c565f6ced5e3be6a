"""The one exception tree of creditline.

Every error a user can cause is a :class:`CreditlineError`. Each class carries a stable
``code`` (for JSON and logs), the CLI ``exit_code`` and the web ``http_status``. Programmer
errors (wrong argument types, impossible parameters) stay ``ValueError``/``TypeError``.
"""

from __future__ import annotations

from typing import ClassVar


class CreditlineError(Exception):
    """Base class: something the user can fix; the message says what, where and what next."""

    code: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 3
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, object]:
        return {"ok": False, "code": self.code, "error": self.message, "status": self.http_status}


class UsageError(CreditlineError):
    """Arguments that cannot work together or do not exist."""

    code = "usage"
    exit_code = 2
    http_status = 400


class InputError(CreditlineError):
    """Nothing could be read from the inputs given (one bad file is a ``Skipped``, not this)."""

    code = "input"
    exit_code = 3
    http_status = 422


class ExpressionError(CreditlineError):
    """An SPDX license expression that does not parse; ``position`` and ``token`` point at it."""

    code = "expression.invalid"
    exit_code = 2
    http_status = 422

    def __init__(
        self, message: str, *, expression: str, position: int | None = None, token: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.expression = expression
        self.position = position
        self.token = token

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(expression=self.expression, position=self.position, token=self.token)
        return data


class PolicyError(CreditlineError):
    """A policy file that cannot be read or is invalid; ``problems`` lists every problem found."""

    code = "policy.invalid"
    exit_code = 2
    http_status = 422

    def __init__(self, message: str, *, problems: tuple[str, ...] = (), source: str = "",
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems
        self.source = source

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(source=self.source, problems=list(self.problems))
        return data


class ConfigError(CreditlineError):
    code = "config.invalid"
    exit_code = 2
    http_status = 422


class KnowledgeError(CreditlineError):
    """The license database or its compiled cache cannot be loaded."""

    code = "knowledge.unavailable"
    exit_code = 3
    http_status = 500


class CatalogError(CreditlineError):
    code = "catalog.error"
    exit_code = 3
    http_status = 500


class CatalogLockedError(CatalogError):
    code = "catalog.locked"
    http_status = 409


class CatalogCorruptError(CatalogError):
    code = "catalog.corrupt"


class CatalogVersionError(CatalogError):
    code = "catalog.version"
    http_status = 409
