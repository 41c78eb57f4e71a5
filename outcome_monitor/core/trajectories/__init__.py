"""Expected trajectories: rational (§3.2), empirical mixed model (§3.1/§3.5), neighbours (§3.4),
calibrated to the service's alert budget, with a separately labelled prognosis (§3.5)."""

from __future__ import annotations

from outcome_monitor.core.trajectories.api import (
    DEFAULT_MINIMUM_REFERENCE,
    ModelChoice,
    TrackReading,
    TrajectoryModel,
    TrajectoryParams,
    choose_model,
    client_prognosis,
    course_for,
    expected_band,
    expected_curve,
    fit_model,
    model_from_dict,
    track_reading,
    track_status,
)
from outcome_monitor.core.trajectories.base import (
    ExpectedBand,
    Method,
    ReferenceEpisode,
    ScorePoint,
    TrackStatus,
)
from outcome_monitor.core.trajectories.calibration import Calibration
from outcome_monitor.core.trajectories.course import Course, Prognosis
from outcome_monitor.core.trajectories.empirical import EmpiricalModel
from outcome_monitor.core.trajectories.neighbours import NeighboursModel
from outcome_monitor.core.trajectories.rational import RationalModel

__all__ = [
    "DEFAULT_MINIMUM_REFERENCE",
    "Calibration",
    "Course",
    "EmpiricalModel",
    "ExpectedBand",
    "Method",
    "ModelChoice",
    "NeighboursModel",
    "Prognosis",
    "RationalModel",
    "ReferenceEpisode",
    "ScorePoint",
    "TrackReading",
    "TrackStatus",
    "TrajectoryModel",
    "TrajectoryParams",
    "choose_model",
    "client_prognosis",
    "course_for",
    "expected_band",
    "expected_curve",
    "fit_model",
    "model_from_dict",
    "track_reading",
    "track_status",
]
