"""``clinical-significance``: Jacobson-Truax (or alternative) outcomes for a cohort CSV.

A plain click command; the app attaches it as ``flask --app wsgi outcomes
clinical-significance``. It imports nothing from Flask.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from outcome_monitor.analysis.clinsig import (
    ClinsigResult,
    Columns,
    CutoffKind,
    Method,
    Settings,
)
from outcome_monitor.analysis.clinsig import (
    clinical_significance as run_analysis,
)
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.measure import Direction


@click.command("clinical-significance")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "id_col", required=True, help="Column identifying the person.")
@click.option("--time", "time_col", required=True, help="Column holding the time point.")
@click.option("--outcome", "outcome_col", required=True, help="Column holding the score.")
@click.option("--pre", required=True, help="Time value of the intake score.")
@click.option("--post", required=True, help="Time value of the end score.")
@click.option("--reliability", type=float, required=True, help="Reliability (alpha or r_tt).")
@click.option("--reliability-post", type=float, help="Reliability at post (NK method).")
@click.option(
    "--method", type=click.Choice([m.value for m in Method], case_sensitive=False), default="JT"
)
@click.option("--m-functional", type=float, help="Mean of the functional population.")
@click.option("--sd-functional", type=float, help="SD of the functional population.")
@click.option("--cutoff", type=click.Choice([c.value for c in CutoffKind]), help="Default: c.")
@click.option("--better", type=click.Choice(["lower", "higher"]), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def clinical_significance(
    file: Path, id_col: str, time_col: str, outcome_col: str, pre: str, post: str,
    reliability: float, reliability_post: float | None, method: str,
    m_functional: float | None, sd_functional: float | None, cutoff: str | None,
    better: str, as_json: bool,
) -> None:  # fmt: skip
    """Reliable change and clinical significance for paired pre/post scores in FILE.

    FILE is long format: one row per person and time point. The clinical mean and SD are
    those of the pre scores. Without functional norms people are improved, unchanged or
    deteriorated; with --m-functional and --sd-functional also recovered or harmed. With
    --method HA the end score is judged by the individual CS index: recovered needs it clearly
    functional and harmed clearly dysfunctional (beyond 1.65); in between is neither.
    """
    if (m_functional is None) != (sd_functional is None):
        raise click.UsageError("give both --m-functional and --sd-functional, or neither")
    if cutoff is not None and m_functional is None:
        raise click.UsageError("--cutoff needs --m-functional and --sd-functional")
    settings = Settings(
        method=Method(method.upper()), reliability=reliability,
        direction=Direction.HIGHER_IS_BETTER if better == "higher" else Direction.HIGHER_IS_WORSE,
        reliability_post=reliability_post, m_functional=m_functional,
        sd_functional=sd_functional, cutoff_kind=CutoffKind(cutoff or "c"),
    )  # fmt: skip
    try:
        result = run_analysis(file, Columns(id_col, time_col, outcome_col, pre, post), settings)
    except CoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(result.to_json(), indent=2) if as_json else _table(result))


def _table(result: ClinsigResult) -> str:
    cutoff = "none" if result.cutoff is None else f"{result.cutoff:.2f}"
    lines = [
        f"Method: {result.method.value}   cut-off: {cutoff}",
        f"People in file: {result.n_total}   paired: {result.n_used}   "
        f"left out: {result.n_total - result.n_used}",
        "",
        *(f"{name:<13}{count:>6}" for name, count in result.categories.items()),
        "",
        f"{'id':<16}{'pre':>8}{'post':>8}{'rci':>8}  category",
        *(
            f"{c.id:<16}{c.pre:>8g}{c.post:>8g}{c.rci:>8.2f}  {c.category.value}"
            for c in result.clients
        ),
    ]
    return "\n".join(lines)
