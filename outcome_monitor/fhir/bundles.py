"""Bundles and OperationOutcomes: the envelopes of every FHIR answer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

from outcome_monitor.models.types import utcnow


@dataclass(frozen=True)
class Issue:
    """One problem: FHIR issue code, a message, and the FHIRPath of the offending element."""

    code: str
    message: str
    expression: str | None = None
    severity: str = "error"


def operation_outcome(issues: Sequence[Issue]) -> OperationOutcome:
    return OperationOutcome.model_validate(
        {
            "issue": [
                {
                    "severity": issue.severity,
                    "code": issue.code,
                    "diagnostics": issue.message,
                    "expression": [issue.expression] if issue.expression else None,
                }
                for issue in issues
            ]
        }
    )


def full_url(base: str, resource: Resource) -> str:
    return f"{base}/{resource.get_resource_type()}/{resource.id}"


def searchset(
    resources: Iterable[Resource], *, base: str, total: int, links: dict[str, str]
) -> Bundle:
    """A searchset Bundle; ``links`` maps relation ("self", "next", ...) to URL."""
    return Bundle.model_validate(
        {
            "type": "searchset",
            "timestamp": utcnow().isoformat(),
            "total": total,
            "link": [{"relation": rel, "url": url} for rel, url in links.items()] or None,
            "entry": [
                {"fullUrl": full_url(base, r), "resource": r, "search": {"mode": "match"}}
                for r in resources
            ]
            or None,
        }
    )


def response_bundle(bundle_type: str, entries: Sequence[dict[str, Any]]) -> Bundle:
    """A transaction-response or batch-response: one ``response`` per posted entry."""
    return Bundle.model_validate(
        {
            "type": bundle_type,
            "timestamp": utcnow().isoformat(),
            "entry": [{"response": entry} for entry in entries] or None,
        }
    )
