"""Synthetic routine-outcome data for tests, demos and the backtest benchmark (never real data).

Generative model (reference §6.3, an illustrative calibration, NOT empirical; every number [U]):

1. True intake ``T0 ~ N(intake_mean, intake_sd)``, clipped to the range.
2. Latent response class (fast / gradual / late / none / worse); class improvement rate ``b`` per
   unit of ln(session) ~ N(mean, sd). Late responders change little until ``onset`` (session 6,
   the §3.5 LCGA class) and then improve quickly.
3. True score ``T_t = T0 + direction·scale·(early·ln t + b·ln(max(t/onset, 1)))``.
4. Observed ``Y_t = round(T_t + N(0, noise_sd²))`` clipped to the range (§6.2).
5. Planned sessions ``2 + NegBin`` with mean ``2 + extra_sessions_mean`` (≈ 7); a
   ``dropout_share`` of episodes stops uniformly before the planned end (never before session 2).
6. Optional course-dependent dropout (``CourseDropout``): after each observed session from 2 on,
   a client whose observed score is worse than at intake leaves with probability ``worse``,
   one reliably better by ``better_points`` leaves with probability ``better`` (they feel well).
7. Optional alliance (SRS-like, 0–40, higher = better): client level + slow growth + noise,
   clipped at 40 (ceiling effect), one decimal. A ``rupture_share`` of episodes with ≥ 2 sessions
   gets one planted rupture at a known session: the latent alliance drops by U(drop_min, drop_max)
   points; in ``repair_share`` of them it is mostly repaired at the next session, otherwise
   it stays lowered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.measure import Direction

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ResponseClass:
    """One latent trajectory class; ``improvement`` is in PHQ-9 points per unit of ln(session)."""

    name: str
    share: float
    improvement_mean: float
    improvement_sd: float
    onset: int = 1
    early: float = 0.0


DEFAULT_CLASSES = (
    ResponseClass("fast", 0.32, 7.5, 1.5),
    ResponseClass("gradual", 0.28, 4.5, 1.0),
    ResponseClass("late", 0.10, 8.0, 1.5, onset=6, early=0.5),
    ResponseClass("none", 0.18, 0.5, 1.0),
    ResponseClass("worse", 0.12, -3.0, 1.5),
)


@dataclass(frozen=True)
class OutcomeSpec:
    """Score range, direction and noise of the simulated outcome measure."""

    code: str
    score_min: float
    score_max: float
    direction: Direction
    intake_mean: float
    intake_sd: float
    noise_sd: float
    scale: float = 1.0


@dataclass(frozen=True)
class AllianceSpec:
    """SRS-like alliance; drop sizes of planted ruptures are an assumption [U]."""

    code: str = "srs"
    score_max: float = 40.0
    level_mean: float = 35.5
    level_sd: float = 3.5
    growth_mean: float = 0.8
    growth_sd: float = 0.5
    noise_sd: float = 1.0
    rupture_share: float = 0.3
    drop_min: float = 6.0
    drop_max: float = 12.0
    repair_share: float = 0.7


@dataclass(frozen=True)
class CourseDropout:
    """Per-session leaving hazards that depend on the course so far (step 6) [U]."""

    worse: float = 0.0
    better: float = 0.0
    better_points: float = 6.0


@dataclass(frozen=True)
class SimulationSpec:
    """Everything the generator needs; defaults reproduce reference §6.3 with late responders."""

    outcome: OutcomeSpec
    classes: tuple[ResponseClass, ...] = DEFAULT_CLASSES
    extra_sessions_mean: float = 5.0
    extra_sessions_dispersion: float = 2.0
    max_sessions: int = 40
    dropout_share: float = 0.2
    alliance: AllianceSpec | None = None
    course_dropout: CourseDropout | None = None


# A second configuration to measure on data the methods were not tuned on (issue 8): more late
# responders, a heavier and more varied worsening tail, more noise, and dropout that depends on
# the course (worse clients leave more often; recovered ones leave early). Every number [U].
ALTERNATIVE_CLASSES = (
    ResponseClass("fast", 0.24, 7.0, 2.0),
    ResponseClass("gradual", 0.24, 4.0, 1.5),
    ResponseClass("late", 0.20, 8.0, 2.0, onset=6, early=0.0),
    ResponseClass("none", 0.16, 0.0, 1.5),
    ResponseClass("worse", 0.16, -4.0, 2.5),
)
ALTERNATIVE_DROPOUT = CourseDropout(worse=0.15, better=0.12)

OUTCOME_PRESETS = {
    "phq9": OutcomeSpec("phq9", 0, 27, Direction.HIGHER_IS_WORSE, 16, 5, 1.9),
    "gad7": OutcomeSpec("gad7", 0, 21, Direction.HIGHER_IS_WORSE, 13.5, 4.5, 1.6, scale=0.8),
    "core10": OutcomeSpec("core10", 0, 40, Direction.HIGHER_IS_WORSE, 19.7, 7.7, 2.43, scale=1.4),
    "ors": OutcomeSpec("ors", 0, 40, Direction.HIGHER_IS_BETTER, 18, 7, 2.5, scale=1.2),
}


@dataclass(frozen=True)
class SimulatedEpisode:
    """One synthetic episode; ``planted_rupture`` is the session of the rupture, if any."""

    episode_id: str
    response_class: str
    scores: tuple[float, ...]
    alliance: tuple[float, ...] = field(default=())
    planted_rupture: int | None = None

    @property
    def sessions(self) -> tuple[int, ...]:
        return tuple(range(1, len(self.scores) + 1))


def preset(code: str, *, alliance: bool = False) -> SimulationSpec:
    """The default spec for a measure code; raises CoreError for a measure without a preset."""
    if code not in OUTCOME_PRESETS:
        raise CoreError(f"no simulation preset for {code!r}; choose from {sorted(OUTCOME_PRESETS)}")
    return SimulationSpec(OUTCOME_PRESETS[code], alliance=AllianceSpec() if alliance else None)


def alternative(code: str, *, alliance: bool = False) -> SimulationSpec:
    """The second configuration (see ``ALTERNATIVE_CLASSES``), with 25% more measurement noise."""
    base = preset(code, alliance=alliance)
    noisier = replace(base.outcome, noise_sd=base.outcome.noise_sd * 1.25)
    return replace(
        base,
        outcome=noisier,
        classes=ALTERNATIVE_CLASSES,
        dropout_share=0.1,
        course_dropout=ALTERNATIVE_DROPOUT,
    )


def _lengths(spec: SimulationSpec, rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
    r = spec.extra_sessions_dispersion
    p = r / (r + spec.extra_sessions_mean)
    planned = np.minimum(2 + rng.negative_binomial(r, p, n), spec.max_sessions)
    drops = (rng.random(n) < spec.dropout_share) & (planned >= 3)
    early_end = 2 + np.floor(rng.random(n) * (planned - 2)).astype(np.int64)
    return np.where(drops, early_end, planned).astype(np.int64)


def _outcome(
    spec: SimulationSpec, rng: np.random.Generator, n: int, width: int
) -> tuple[Array, npt.NDArray[np.intp]]:
    o, classes = spec.outcome, spec.classes
    shares = np.array([c.share for c in classes])
    kind = rng.choice(len(classes), size=n, p=shares / shares.sum())
    mean = np.array([c.improvement_mean for c in classes])[kind]
    rate = rng.normal(mean, np.array([c.improvement_sd for c in classes])[kind])
    onset = np.array([c.onset for c in classes], dtype=float)[kind]
    early = np.array([c.early for c in classes])[kind]
    intake = np.clip(rng.normal(o.intake_mean, o.intake_sd, n), o.score_min, o.score_max)
    log_t = np.log(np.arange(1, width + 1, dtype=float))
    change = early[:, None] * log_t + rate[:, None] * np.maximum(log_t - np.log(onset)[:, None], 0)
    true = intake[:, None] + o.direction * o.scale * change
    observed = np.rint(true + rng.normal(0, o.noise_sd, true.shape))
    return np.clip(observed, o.score_min, o.score_max), kind


def _alliance(
    a: AllianceSpec, rng: np.random.Generator, lengths: npt.NDArray[np.int64], width: int
) -> tuple[Array, npt.NDArray[np.int64]]:
    n = len(lengths)
    log_t = np.log(np.arange(1, width + 1, dtype=float))
    level = rng.normal(a.level_mean, a.level_sd, n)[:, None]
    latent = level + rng.normal(a.growth_mean, a.growth_sd, n)[:, None] * log_t
    planted = (rng.random(n) < a.rupture_share) & (lengths >= 2)
    at = np.where(planted, 2 + np.floor(rng.random(n) * (lengths - 1)), 0).astype(np.int64)
    drop = rng.uniform(a.drop_min, a.drop_max, n)
    repaired = rng.random(n) < a.repair_share
    session = np.arange(1, width + 1)[None, :]
    later = np.where(repaired, 0.2, 0.8)[:, None] * (session > at[:, None])
    dip = planted[:, None] * drop[:, None] * ((session == at[:, None]) + later)
    observed = latent - dip + rng.normal(0, a.noise_sd, latent.shape)
    return np.clip(np.round(observed, 1), 0, a.score_max), at


def _course_dropout(
    spec: SimulationSpec, rng: np.random.Generator, scores: Array, lengths: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Step 6: shorten episodes where the course so far makes the client leave."""
    rule = spec.course_dropout
    if rule is None:
        return lengths
    gain = spec.outcome.direction * (scores - scores[:, :1])  # positive = better than intake
    hazard = np.where(gain < 0, rule.worse, np.where(gain >= rule.better_points, rule.better, 0))
    leaves = rng.random(scores.shape) < hazard
    leaves[:, 0] = False
    out = lengths.copy()
    for i in range(len(lengths)):
        stop = np.flatnonzero(leaves[i, : lengths[i] - 1])
        if stop.size:
            out[i] = stop[0] + 1
    return out


def simulate(spec: SimulationSpec, *, episodes: int, seed: int) -> tuple[SimulatedEpisode, ...]:
    """Generate ``episodes`` synthetic episodes, deterministic for ``seed`` (module docstring)."""
    if episodes < 1:
        raise CoreError("episodes must be at least 1")
    rng = np.random.default_rng(seed)
    lengths = _lengths(spec, rng, episodes)
    width = int(lengths.max())
    scores, kind = _outcome(spec, rng, episodes, width)
    lengths = _course_dropout(spec, rng, scores, lengths)
    alliance, rupture = (
        (None, None) if spec.alliance is None else _alliance(spec.alliance, rng, lengths, width)
    )
    out = []
    for i, length in enumerate(lengths.tolist()):
        out.append(
            SimulatedEpisode(
                episode_id=f"E{i + 1:06d}",
                response_class=spec.classes[int(kind[i])].name,
                scores=tuple(scores[i, :length].tolist()),
                alliance=() if alliance is None else tuple(alliance[i, :length].tolist()),
                planted_rupture=None if rupture is None or rupture[i] == 0 else int(rupture[i]),
            )
        )
    return tuple(out)
