"""Cohort clinical significance: per-person reliable change and categories for pre/post pairs.

The clinical mean and SD are those of the pre scores of the paired people (reference §1.1:
``s1`` is the SD of the clinical, pre-treatment sample). Every method's index is reliable when
its size is strictly greater than the critical value: 1.96, or 1.65 for Hageman-Arrindell.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from outcome_monitor.analysis.clinsig_data import Pair, Pairing
from outcome_monitor.core import rci_methods as rm
from outcome_monitor.core.change import (
    Z_95,
    ChangeCategory,
    CutoffStatus,
    categorise,
    categorise_index,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    jacobson_truax_rci,
)
from outcome_monitor.core.errors import AnalysisError
from outcome_monitor.core.measure import Direction


class Method(StrEnum):
    """RCI methods of reference §1.5."""

    JT = "JT"
    GLN = "GLN"
    EN = "EN"
    HLL = "HLL"
    NK = "NK"
    HA = "HA"


class CutoffKind(StrEnum):
    """Jacobson-Truax cut-offs (reference §1.2)."""

    A = "a"
    B = "b"
    C = "c"


@dataclass(frozen=True)
class Settings:
    """Analysis parameters. ``reliability_post`` (NK only) defaults to ``reliability``."""

    method: Method
    reliability: float
    direction: Direction
    reliability_post: float | None = None
    m_functional: float | None = None
    sd_functional: float | None = None
    cutoff_kind: CutoffKind = CutoffKind.C

    @property
    def has_norms(self) -> bool:
        """True when functional norms were given (recovered and harmed then apply)."""
        return self.m_functional is not None and self.sd_functional is not None


@dataclass(frozen=True)
class ClientChange:
    """One person's result; ``rci`` is signed on the raw scale (positive = score went up)."""

    id: str
    pre: float
    post: float
    rci: float
    category: ChangeCategory


@dataclass(frozen=True)
class ClinsigResult:
    """The cohort result; ``categories`` holds only the categories that apply."""

    n_total: int
    n_used: int
    method: Method
    cutoff: float | None
    categories: dict[str, int]
    clients: tuple[ClientChange, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "n_total": self.n_total,
            "n_used": self.n_used,
            "method": self.method.value,
            "cutoff": self.cutoff,
            "categories": dict(self.categories),
            "clients": [
                {
                    "id": c.id,
                    "pre": c.pre,
                    "post": c.post,
                    "rci": c.rci,
                    "category": c.category.value,
                }
                for c in self.clients
            ],
        }


def analyse(pairing: Pairing, settings: Settings) -> ClinsigResult:
    """Classify every pair.

    1. Sample moments from the pairs (at least two people, non-zero pre SD).
    2. The cut-off chosen by ``settings`` (none without functional norms).
    3. Per person: the method's index and the §1.3 category.
    """
    sample = _moments(pairing.pairs)
    cutoff = _cutoff(sample, settings)
    classify = _classifier(sample, settings, cutoff)
    clients = tuple(classify(pair) for pair in pairing.pairs)
    names = list(ChangeCategory) if settings.has_norms else [
        ChangeCategory.IMPROVED, ChangeCategory.UNCHANGED, ChangeCategory.DETERIORATED
    ]  # fmt: skip
    counts = {name.value: sum(c.category is name for c in clients) for name in names}
    return ClinsigResult(pairing.n_total, len(clients), settings.method, cutoff, counts, clients)


def _moments(pairs: tuple[Pair, ...]) -> rm.SampleMoments:
    if len(pairs) < 2:
        raise AnalysisError(f"need at least 2 people with pre and post scores, found {len(pairs)}")
    pre, post = [p.pre for p in pairs], [p.post for p in pairs]
    sd_pre, sd_post = statistics.stdev(pre), statistics.stdev(post)
    if sd_pre == 0:
        raise AnalysisError("the pre scores do not vary: the clinical SD is 0")
    # HA alone needs the correlation; a constant post score leaves it undefined (NaN).
    r12 = statistics.correlation(pre, post) if sd_post > 0 else float("nan")
    return rm.SampleMoments(statistics.fmean(pre), sd_pre, statistics.fmean(post), sd_post, r12)


def _cutoff(sample: rm.SampleMoments, settings: Settings) -> float | None:
    if settings.m_functional is None or settings.sd_functional is None:
        return None
    m0, s0, d = settings.m_functional, settings.sd_functional, settings.direction
    if settings.method is Method.HA:
        true = rm.ha_cutoffs(
            sample, reliability=settings.reliability, direction=d, mean_functional=m0,
            sd_functional=s0,
        )  # fmt: skip
        return {CutoffKind.A: true.a, CutoffKind.B: true.b, CutoffKind.C: true.c}[
            settings.cutoff_kind
        ]
    if settings.cutoff_kind is CutoffKind.A:
        return cutoff_a(mean_clinical=sample.mean_pre, sd_clinical=sample.sd_pre, direction=d)
    if settings.cutoff_kind is CutoffKind.B:
        return cutoff_b(mean_functional=m0, sd_functional=s0, direction=d)
    return cutoff_c(
        mean_clinical=sample.mean_pre, sd_clinical=sample.sd_pre, mean_functional=m0,
        sd_functional=s0,
    )  # fmt: skip


def _index(pair: Pair, sample: rm.SampleMoments, settings: Settings) -> float:
    r, m1, s1 = settings.reliability, sample.mean_pre, sample.sd_pre
    x1, x2 = pair.pre, pair.post
    match settings.method:
        case Method.JT:
            return jacobson_truax_rci(pre=x1, post=x2, sd=s1, reliability=r)
        case Method.GLN:
            return rm.gln_rci(pre=x1, post=x2, mean_pre=m1, sd_pre=s1, reliability=r)
        case Method.EN:
            return rm.en_rci(pre=x1, post=x2, mean_pre=m1, sd_pre=s1, reliability=r)
        case Method.HLL:
            return rm.hll_rci(
                pre=x1, post=x2, mean_pre=m1, mean_post=sample.mean_post, sd_pre=s1, reliability=r
            )
        case Method.NK:
            r2 = r if settings.reliability_post is None else settings.reliability_post
            return rm.nk_rci(
                pre=x1, post=x2, mean_pre=m1, sd_pre=s1, reliability=r, reliability_post=r2
            )
    return rm.ha_rci(pre=x1, post=x2, sample=sample, reliability=r)


def _classifier(
    sample: rm.SampleMoments, settings: Settings, cutoff: float | None
) -> Callable[[Pair], ClientChange]:
    d = settings.direction
    critical = rm.HA_CRITICAL if settings.method is Method.HA else Z_95

    def classify(pair: Pair) -> ClientChange:
        index = _index(pair, sample, settings)
        if settings.method is Method.HA and cutoff is not None:
            status = _ha_status(pair, sample, settings, cutoff)
            category = categorise(
                improved=d * index > critical, deteriorated=d * index < -critical, status=status
            )
        else:  # observed scores against the cut-off (§1.3)
            category = categorise_index(
                index=index, critical=critical, direction=d, pre=pair.pre, post=pair.post,
                cutoff=cutoff,
            )  # fmt: skip
        return ClientChange(pair.id, pair.pre, pair.post, index, category)

    return classify


def _ha_status(
    pair: Pair, sample: rm.SampleMoments, settings: Settings, cutoff: float
) -> CutoffStatus:
    """For HA the individual CS index against the cut-off, whose uncertain zone is neither
    functional nor dysfunctional (``rci_methods.ha_status``)."""
    return rm.ha_status(
        pre=pair.pre, post=pair.post, sample=sample, reliability=settings.reliability,
        direction=settings.direction, cutoff=cutoff,
    )  # fmt: skip
