"""Benchmark of the alliance-rupture rule on synthetic data (not a test); figures for the docs.

Run: .venv/bin/python bench/bench_ruptures.py [--reference 20000] [--evaluate 5000]

1. For each generator configuration, simulate a reference set (seed 1) and an evaluation set
   (seed 2) with ``outcome_monitor.core.simulate``: the default (planted drops 6-12 points),
   smaller drops (3-6), a noisier one with wider client levels and more ruptures, one without
   the SRS ceiling, and the default with a second, later rupture planted by this script.
2. Fit what a service would fit on its own reference data: the pooled session SD
   (``service_session_sd``) and the SRS reliable change from an assumed alpha (§1.1).
3. Replay the evaluation episodes session by session through ``backtest.replay`` (the live rule
   path: at session t only sessions 1..t) for several k and both baseline windows.
4. Score against the planted ruptures. Caught: a rupture alert at the drop session or the next.
   False: a rupture alert at any other session, per 100 sessions (every flagged session counts,
   which is stricter than the app, where consecutive findings update one open alert).
5. Compare ways of computing the client's own SD at k = 2, window 3 (a re-implementation of
   the rule in this script, checked against the core rule where they should agree).

Targets (issue 8): at least 85% caught at the drop session or the next, at most 2 false rupture
alerts per 100 sessions. The generator's numbers are assumptions [U], so these figures say how
the rule behaves on data like the assumptions, not how it behaves in a real service.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from outcome_monitor.analysis.backtest import Episode, EpisodeResult, ReplaySetup, replay
from outcome_monitor.analysis.backtest_cli import alliance_threshold, measure_rules
from outcome_monitor.core.alerts import AlertSettings
from outcome_monitor.core.measure import ReliableChangeThreshold
from outcome_monitor.core.rupture import RuptureSettings, service_session_sd
from outcome_monitor.core.simulate import AllianceSpec, SimulationSpec, preset, simulate
from outcome_monitor.core.trajectories import RationalModel

SRS_RELIABILITY = 0.88  # [U] assumed internal consistency of the SRS for the §1.1 RC
KS = (1.5, 2.0, 2.5, 3.0)
TARGET_CAUGHT, TARGET_FALSE = 0.85, 2.0


@dataclass(frozen=True)
class Planted:
    """An evaluation episode and the sessions of its planted ruptures (first, then later)."""

    episode: Episode
    ruptures: tuple[int, ...]


@dataclass(frozen=True)
class Dataset:
    label: str
    reference: tuple[Episode, ...]
    evaluated: tuple[Planted, ...]


@dataclass(frozen=True)
class Score:
    caught: float
    caught_at_drop: float
    caught_later: float | None  # second ruptures only
    false_per_100: float


def episodes(spec: SimulationSpec, *, n: int, seed: int) -> tuple[Planted, ...]:
    return tuple(
        Planted(
            Episode(e.episode_id, e.scores, e.alliance),
            () if e.planted_rupture is None else (e.planted_rupture,),
        )
        for e in simulate(spec, episodes=n, seed=seed)
    )


def with_second_rupture(data: tuple[Planted, ...], *, seed: int) -> tuple[Planted, ...]:
    """Plant a second, repaired drop of U(6, 12) points at least 2 sessions after the first
    (episodes long enough for it); the generator itself plants at most one per episode."""
    rng = np.random.default_rng(seed)
    out = []
    for item in data:
        alliance, planted = list(item.episode.alliance), item.ruptures
        if planted and len(alliance) >= planted[0] + 2:
            at = int(rng.integers(planted[0] + 2, len(alliance) + 1))
            alliance[at - 1] = max(0.0, round(alliance[at - 1] - rng.uniform(6, 12), 1))
            planted = (*planted, at)
        episode = Episode(item.episode.episode_id, item.episode.scores, tuple(alliance))
        out.append(Planted(episode, planted))
    return tuple(out)


def datasets(n_ref: int, n_eval: int) -> list[Dataset]:
    base = preset("phq9", alliance=True)
    variants: list[tuple[str, SimulationSpec | AllianceSpec]] = [
        ("default generator: drops 6-12 points", base),
        ("smaller drops: 3-6 points", AllianceSpec(drop_min=3, drop_max=6)),
        ("noisier: noise SD 2, level SD 5, 50% with a rupture", AllianceSpec(
            noise_sd=2.0, level_sd=5.0, rupture_share=0.5)),
        ("lower level: 28 (SD 5), few at the ceiling, noise SD 1.5", AllianceSpec(
            level_mean=28.0, level_sd=5.0, noise_sd=1.5)),
    ]  # fmt: skip
    out = []
    for label, variant in variants:
        spec = variant if isinstance(variant, SimulationSpec) else replace(base, alliance=variant)
        ref = tuple(p.episode for p in episodes(spec, n=n_ref, seed=1))
        out.append(Dataset(label, ref, episodes(spec, n=n_eval, seed=2)))
    second = with_second_rupture(out[0].evaluated, seed=3)
    out.append(
        Dataset("default + a second, later rupture of 6-12 points", out[0].reference, second)
    )
    return out


def score(data: Sequence[Planted], flagged: Sequence[Sequence[int]]) -> Score:
    hits = at_drop = later = n_later = false = 0
    for item, sessions in zip(data, flagged, strict=True):
        window = {s + lag for s in item.ruptures for lag in (0, 1)}
        false += sum(s not in window for s in sessions)
        for number, s in enumerate(item.ruptures):
            caught = s in sessions or s + 1 in sessions
            hits, at_drop = hits + caught, at_drop + (s in sessions)
            if number > 0:
                later, n_later = later + caught, n_later + 1
    total = sum(len(item.ruptures) for item in data)
    sessions_total = sum(len(item.episode.alliance) for item in data)
    return Score(
        hits / total,
        at_drop / total,
        later / n_later if n_later else None,
        100 * false / sessions_total,
    )


def fitted(data: Dataset) -> tuple[RuptureSettings, ReliableChangeThreshold]:
    threshold = alliance_threshold(data.reference, rc=None, reliability=SRS_RELIABILITY)
    assert threshold is not None
    sd = service_session_sd(e.alliance for e in data.reference)
    return RuptureSettings(service_sd=sd, reliable_change=threshold), threshold


def rc_bound(data: Dataset, settings: RuptureSettings) -> float:
    """Share of planted ruptures whose drop from the window-3 baseline passes the RC guard at
    the drop session or the next: the most the default-window rule can catch whatever k is."""
    rc = settings.reliable_change
    assert rc is not None

    def passes(scores: Sequence[float], t: int) -> bool:
        if t > len(scores):
            return False
        drop = statistics.fmean(scores[max(0, t - 4) : t - 1]) - scores[t - 1]
        return drop > 0 and rc.is_reliable(drop)

    hits = [
        passes(item.episode.alliance, s) or passes(item.episode.alliance, s + 1)
        for item in data.evaluated
        for s in item.ruptures
    ]
    return sum(hits) / len(hits)


def live_flags(data: Dataset, settings: RuptureSettings) -> list[tuple[int, ...]]:
    setup = ReplaySetup(
        measure_rules("phq9"),
        RationalModel(measure_code="phq9"),
        AlertSettings(rupture=settings),
        measure_rules("srs"),
    )
    results: tuple[EpisodeResult, ...] = replay((p.episode for p in data.evaluated), setup)
    return [r.rupture_sessions for r in results]


def verdict(result: Score) -> str:
    missed = [
        *(["caught"] if result.caught < TARGET_CAUGHT else []),
        *(["false alerts"] if result.false_per_100 > TARGET_FALSE else []),
    ]
    return "meets targets" if not missed else "MISSES: " + ", ".join(missed)


def print_sweep(data: Dataset) -> dict[tuple[float, int], list[tuple[int, ...]]]:
    base, threshold = fitted(data)
    n_planted = sum(len(p.ruptures) for p in data.evaluated)
    print(
        f"\n== {data.label}\n   service SD {base.service_sd:.2f}, RC {threshold.value:.2f} "
        f"(SRS alpha {SRS_RELIABILITY} [U]); {len(data.evaluated)} episodes, {n_planted} ruptures"
        f"\n   RC-guard bound (drop beyond the RC at the drop or the next session, any k): "
        f"{rc_bound(data, base):.3f}"
    )
    print(f"{'k':>5}{'window':>8}{'at drop':>9}{'drop/next':>11}{'later':>7}{'false/100':>11}")
    flags = {}
    for k in KS:
        for window in (3, 1):
            flags[k, window] = live_flags(data, replace(base, k=k, baseline_window=window))
            r = score(data.evaluated, flags[k, window])
            later = "-" if r.caught_later is None else f"{r.caught_later:.3f}"
            default = "  <- default" if (k, window) == (2.0, 3) else ""
            print(
                f"{k:>5}{window:>8}{r.caught_at_drop:>9.3f}{r.caught:>11.3f}{later:>7}"
                f"{r.false_per_100:>11.2f}  {verdict(r)}{default}"
            )
    return flags


OwnScale = Callable[[list[float], list[int]], float | None]


def plain_sd(scores: list[float], _flagged: list[int]) -> float | None:
    return statistics.stdev(scores) if len(scores) >= 3 else None


def sd_without_flagged(scores: list[float], flagged: list[int]) -> float | None:
    return plain_sd([s for i, s in enumerate(scores, start=1) if i not in flagged], [])


def mad(scores: list[float], _flagged: list[int]) -> float | None:
    if len(scores) < 3:
        return None
    middle = statistics.median(scores)
    return 1.4826 * statistics.median(abs(s - middle) for s in scores)


def variant_flags(scores: Sequence[float], own: OwnScale, base: RuptureSettings) -> list[int]:
    """The rule with another own-scale (k, window, service SD and RC as in ``base``)."""
    assert base.reliable_change is not None
    flagged: list[int] = []
    for t in range(2, len(scores) + 1):
        earlier = list(scores[: t - 1])
        drop = statistics.fmean(earlier[-base.baseline_window :]) - scores[t - 1]
        reference = max(own(earlier, flagged) or 0.0, base.service_sd)
        if drop > base.k * reference and base.reliable_change.is_reliable(drop):
            flagged.append(t)
    return flagged


def print_own_sd_comparison(data: Dataset, live: list[tuple[int, ...]]) -> None:
    base, _ = fitted(data)
    print("   own SD variants at k = 2, window 3:", end="")
    variants: tuple[tuple[str, OwnScale], ...] = (
        ("plain SD", plain_sd),
        ("MAD x 1.4826", mad),
        ("SD w/o flagged", sd_without_flagged),
    )
    for name, own in variants:
        flags = [variant_flags(p.episode.alliance, own, base) for p in data.evaluated]
        if own is sd_without_flagged:
            agree = all(list(a) == b for a, b in zip(live, flags, strict=True))
            name += " (core rule, " + ("identical" if agree else "DIFFERS") + ")"
        r = score(data.evaluated, flags)
        later = "" if r.caught_later is None else f", later {r.caught_later:.3f}"
        print(
            f"\n     {name}: caught {r.caught:.3f}{later}, false/100 {r.false_per_100:.2f}", end=""
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=int, default=20000)
    parser.add_argument("--evaluate", type=int, default=5000)
    args = parser.parse_args()
    print(
        f"reference {args.reference} episodes (seed 1), evaluated {args.evaluate} (seed 2); "
        f"targets: caught at the drop or the next session >= {TARGET_CAUGHT:.0%}, "
        f"false <= {TARGET_FALSE:g} per 100 sessions"
    )
    for data in datasets(args.reference, args.evaluate):
        flags = print_sweep(data)
        print_own_sd_comparison(data, flags[2.0, 3])


if __name__ == "__main__":
    main()
