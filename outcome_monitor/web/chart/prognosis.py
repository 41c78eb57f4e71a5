"""The §3.5 prognosis in plain words, beside the chart and labelled as a prognosis."""

from __future__ import annotations

from flask_babel import gettext as _

from outcome_monitor.core.alerts import fmt
from outcome_monitor.services.charting import ChartData


def chance_words(p: float) -> str:
    """'about 3 in 10', or 'about 4 in 100' below one in ten (a frequency reads more easily)."""
    if p >= 0.095:
        return _("about %(n)s in 10", n=round(p * 10))
    per_hundred = round(p * 100)
    return _("about %(n)s in 100", n=per_hundred) if per_hundred else _("fewer than 1 in 100")


def prognosis_lines(data: ChartData) -> list[str]:
    """E.g. 'Of clients with a course like this, about 3 in 10 ended reliably worse ...'."""
    outlook, outcome = data.prognosis, data.outcome
    if outlook is None or outcome is None:
        return []
    lines = [
        _(
            "By session %(session)s, %(label)s is likely to be between %(low)s and %(high)s "
            "(most likely %(mid)s).",
            session=outlook.session,
            label=outcome.label,
            low=fmt(round(outlook.low)),
            high=fmt(round(outlook.high)),
            mid=fmt(round(outlook.predicted)),
        ),
        _(
            "Of clients with a course like this, %(chance)s ended reliably worse than they "
            "started.",
            chance=chance_words(outlook.p_deterioration),
        ),
    ]
    if outlook.p_recovery is not None and outcome.cutoff is not None:
        lines.append(
            _(
                "%(chance)s recovered (ended past the cut-off of %(cutoff)s).",
                chance=chance_words(outlook.p_recovery).capitalize(),
                cutoff=fmt(outcome.cutoff),
            )
        )
    lines.append(
        _(
            "Based on the intake and %(n)s later score(s), from the service's own past clients; "
            "the likely range covers 8 in 10 such clients. The prognosis never moves the "
            "expected course or the alerts.",
            n=outlook.based_on,
        )
    )
    return lines
