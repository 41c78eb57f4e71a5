"""Benchmark of the alert rules on synthetic data (not a test); figures for docs/alerts.md.

Run: .venv/bin/python bench/bench_alerts.py [--reference 20000] [--evaluate 10000]

1. Simulate a reference set (seed 1) and an evaluation set (seed 2), PHQ-9-like + SRS-like.
2. Backtest each trajectory method through the CLI's ``run`` (CSV read, fit, replay) and time it.
3. Score rupture detection against the planted ruptures for several k.
Targets (from the brief): empirical at session 3 catches >= 85% of eventual reliable
deteriorators while flagging <= 20% of episodes; ruptures >= 80% caught with <= 3 false rupture
alerts per 100 sessions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from outcome_monitor.analysis.backtest import Episode, ReplaySetup, replay
from outcome_monitor.analysis.backtest_cli import (
    BacktestRequest,
    alliance_threshold,
    measure_rules,
    run,
)
from outcome_monitor.analysis.simulate_cli import write_csv
from outcome_monitor.core.alerts import AlertSettings
from outcome_monitor.core.rupture import RuptureSettings, service_session_sd
from outcome_monitor.core.simulate import AllianceSpec, SimulatedEpisode, preset, simulate
from outcome_monitor.core.trajectories import RationalModel

SRS_RELIABILITY = 0.88  # [U] assumed internal consistency of the SRS for the §1.1 RC


def write(folder: Path, name: str, data: tuple[SimulatedEpisode, ...]) -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8") as handle:
        write_csv(handle, data, measure="phq9", alliance=True)
    return path


def backtests(ref: Path, ev: Path) -> None:
    print(
        "\n== Early warning: eventual reliable deterioration (flag = red not_on_track or "
        "reliable_deterioration)"
    )
    print(
        f"{'method':<11}{'sens@3':>8}{'flag@3':>8}{'sens':>7}{'spec':>7}{'ppv':>7}"
        f"{'flagged':>9}{'sens<last':>10}{'/100s':>7}{'wall s':>8}"
    )
    for method in ("rational", "empirical", "neighbours"):
        request = BacktestRequest(
            ref,
            ev,
            "phq9",
            "phq9",
            "srs",
            "srs",
            alliance_reliability=SRS_RELIABILITY,
            method=method,
        )
        start = time.perf_counter()
        summary, _ = run(request)
        wall = time.perf_counter() - start
        d = summary["reliable_deterioration"]
        print(
            f"{method:<11}{d['sensitivity_by_session_3']:>8.3f}"
            f"{d['share_flagged_by_session_3']:>8.3f}{d['sensitivity']:>7.3f}"
            f"{d['specificity']:>7.3f}{d['ppv']:>7.3f}{d['share_flagged']:>9.3f}"
            f"{d['sensitivity_before_last_session']:>10.3f}{d['alerts_per_100_sessions']:>7.2f}"
            f"{wall:>8.1f}"
        )
        n = summary["no_reliable_improvement"]
        print(
            f"{'':<11}no reliable improvement (any not_on_track, deterioration, "
            f"no_reliable_change): sens {n['sensitivity']:.3f} spec {n['specificity']:.3f} "
            f"ppv {n['ppv']:.3f} flagged {n['share_flagged']:.3f} "
            f"sens@3 {n['sensitivity_by_session_3']:.3f}"
        )
    print(
        f"(positives: {d['positives']} of {d['episodes']} episodes; {summary['sessions']} sessions)"
    )


def ruptures(
    ref_data: tuple[SimulatedEpisode, ...], ev_data: tuple[SimulatedEpisode, ...], label: str
) -> None:
    ref = tuple(Episode(e.episode_id, e.scores, e.alliance) for e in ref_data)
    ev = tuple(Episode(e.episode_id, e.scores, e.alliance) for e in ev_data)
    threshold = alliance_threshold(ref, rc=None, reliability=SRS_RELIABILITY)
    sd = service_session_sd(e.alliance for e in ref)
    rc = threshold.value if threshold else float("nan")
    print(
        f"\n== Alliance rupture, {label} (service SD {sd:.2f}, RC {rc:.2f} from SRS "
        f"reliability {SRS_RELIABILITY} [U])"
    )
    print(f"{'k':>4}{'window':>8}{'caught':>8}{'false/100 sessions':>20}")
    planted = {e.episode_id: e.planted_rupture for e in ev_data}
    sessions = sum(len(e.scores) for e in ev_data)
    base = RuptureSettings(service_sd=sd, reliable_change=threshold)
    for k in (1.5, 2.0, 2.5, 3.0):
        for window in (1, 3):
            rupture = replace(base, k=k, baseline_window=window)
            setup = ReplaySetup(
                measure_rules("phq9"),
                RationalModel(measure_code="phq9"),
                AlertSettings(rupture=rupture),
                measure_rules("srs"),
            )
            results = replay(ev, setup)
            caught = sum(planted[r.episode_id] in r.rupture_sessions for r in results)
            false = sum(s != planted[r.episode_id] for r in results for s in r.rupture_sessions)
            total = sum(p is not None for p in planted.values())
            print(f"{k:>4}{window:>8}{caught / total:>8.3f}{100 * false / sessions:>20.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=int, default=20000)
    parser.add_argument("--evaluate", type=int, default=10000)
    args = parser.parse_args()
    ref_data = simulate(preset("phq9", alliance=True), episodes=args.reference, seed=1)
    ev_data = simulate(preset("phq9", alliance=True), episodes=args.evaluate, seed=2)
    with tempfile.TemporaryDirectory() as folder:
        ref, ev = write(Path(folder), "ref.csv", ref_data), write(Path(folder), "eval.csv", ev_data)
        print(f"reference {args.reference} episodes (seed 1), evaluated {args.evaluate} (seed 2)")
        backtests(ref, ev)
    ruptures(ref_data, ev_data, "planted drops 6-12 points (generator default)")
    small = replace(preset("phq9", alliance=True), alliance=AllianceSpec(drop_min=3, drop_max=6))
    ruptures(
        simulate(small, episodes=args.reference, seed=1),
        simulate(small, episodes=args.evaluate, seed=2),
        "planted drops 3-6 points",
    )


if __name__ == "__main__":
    main()
