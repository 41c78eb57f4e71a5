"""Benchmark of the outcome alerts on synthetic data (not a test); figures for docs/alerts.md.

Run: .venv/bin/python bench/bench_alerts.py [--reference 20000] [--evaluate 10000] [--budget 0.2]

1. For each generator configuration — the default (reference §6.3 with late responders) and an
   alternative the methods were not tuned on (more late responders, a heavier and more varied
   worsening tail, more noise, dropout that depends on the course) — simulate a reference set
   (seed 1) and an evaluation set (seed 2), PHQ-9-like.
2. Backtest each method through the CLI's ``run`` (CSV read, fit, calibrate to the budget by
   cross-validation on the reference, replay the evaluation set through the live rule path) and
   time it.
3. Print, honestly (alerts at an episode's last session never count: that score is the
   outcome): sensitivity by session 3 for eventual reliable deterioration, share of episodes
   flagged by session 3 (as therapists saw it, the figure the budget limits), PPV, the
   sensitivity the 10/20/30% budgets buy, and the prognosis calibration (predicted against
   observed reliable deterioration by tenth of the evaluation set).
Targets (issue 8): empirical by session 3 catches >= 85% of eventual reliable deteriorators
while flagging <= 20% of episodes; the backtest of 20,000 + 10,000 episodes under a minute.
Rupture detection has its own benchmark: bench/bench_ruptures.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from outcome_monitor.analysis.backtest_cli import BacktestRequest, run
from outcome_monitor.analysis.simulate_cli import write_csv
from outcome_monitor.core.simulate import SimulationSpec, alternative, preset, simulate

METHODS = ("rational", "empirical", "neighbours")


def write(folder: Path, name: str, spec: SimulationSpec, n: int, seed: int) -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8") as handle:
        write_csv(handle, simulate(spec, episodes=n, seed=seed), measure="phq9", alliance=False)
    return path


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def calibration_line(table: list[dict[str, Any]]) -> str:
    """Predicted/observed per tenth, and the largest gap."""
    cells = " ".join(f"{r['predicted']:.2f}/{r['observed']:.2f}" for r in table[-4:])
    gap = max(abs(r["predicted"] - r["observed"]) for r in table)
    return f"top four tenths predicted/observed {cells}; largest gap {gap:.3f}"


def report(label: str, ref: Path, ev: Path, budget: float) -> None:
    print(f"\n== {label}: eventual reliable deterioration, outcome alert = any not on track or RD")
    print(
        f"{'method':<11}{'sens@3':>8}{'flag@3':>8}{'ppv@3':>8}{'spec@3':>8}{'red sens@3':>11}"
        f"{'/100s':>7}{'wall s':>8}"
    )
    for method in METHODS:
        request = BacktestRequest(ref, ev, "phq9", "phq9", method=method, budget=budget)
        start = time.perf_counter()
        summary, _ = run(request)
        wall = time.perf_counter() - start
        d, red = summary["reliable_deterioration"], summary["reliable_deterioration_red_only"]
        print(
            f"{method:<11}{_pct(d['sensitivity_by_session_3']):>8}"
            f"{_pct(d['share_flagged_by_session_3_live']):>8}{_pct(d['ppv_by_session_3']):>8}"
            f"{_pct(d['specificity_by_session_3']):>8}{_pct(red['sensitivity_by_session_3']):>11}"
            f"{d['alerts_per_100_sessions']:>7.2f}{wall:>8.1f}"
        )
        evaluation = summary.get("evaluation")
        if evaluation:
            curve = ", ".join(
                f"{int(100 * p['budget'])}% budget -> sens {_pct(p['sensitivity'])} at "
                f"{_pct(p['share_flagged'])} flagged"
                for p in evaluation["curve"]
            )
            print(f"{'':<11}curve: {curve}")
            print(f"{'':<11}prognosis: {calibration_line(evaluation['calibration_deterioration'])}")
            oof = summary["model"]["out_of_fold"]["yellow"]
            print(
                f"{'':<11}out of fold on the reference: sens {_pct(oof['sensitivity'])}, "
                f"flagged {_pct(oof['share_flagged'])}; bands at the "
                f"{summary['model']['yellow_percentile']:.1f}/"
                f"{summary['model']['red_percentile']:.1f} percentiles"
            )
    print(
        f"(positives: {d['positives']} of {d['episodes']} episodes; {summary['sessions']} sessions)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=int, default=20000)
    parser.add_argument("--evaluate", type=int, default=10000)
    parser.add_argument("--budget", type=float, default=0.2)
    args = parser.parse_args()
    configs = (
        ("default generator", preset("phq9")),
        ("alternative generator (not tuned on)", alternative("phq9")),
    )
    print(
        f"reference {args.reference} episodes (seed 1), evaluated {args.evaluate} (seed 2), "
        f"alert budget {args.budget:.0%} by session 3"
    )
    with tempfile.TemporaryDirectory() as folder:
        for index, (label, spec) in enumerate(configs):
            ref = write(Path(folder), f"ref{index}.csv", spec, args.reference, 1)
            ev = write(Path(folder), f"eval{index}.csv", spec, args.evaluate, 2)
            report(label, ref, ev, args.budget)


if __name__ == "__main__":
    main()
