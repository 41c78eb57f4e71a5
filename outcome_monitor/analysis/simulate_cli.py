"""``simulate``: write synthetic long-format episodes to CSV (a plain click command, no Flask).

The lead attaches it as ``flask --app wsgi outcomes simulate``; it also runs standalone with
``python -m outcome_monitor.analysis.simulate_cli``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

import click

from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.simulate import OUTCOME_PRESETS, SimulatedEpisode, preset, simulate


def write_csv(
    handle: TextIO, episodes: Iterable[SimulatedEpisode], *, measure: str, alliance: bool
) -> int:
    """Write ``episode_id,session,<measure>[,srs,planted_rupture],response_class``; return rows."""
    writer = csv.writer(handle, lineterminator="\n")
    header = ["episode_id", "session", measure]
    writer.writerow([*header, *(["srs", "planted_rupture"] if alliance else []), "response_class"])
    rows = 0
    for episode in episodes:
        for index, score in enumerate(episode.scores):
            row: list[object] = [episode.episode_id, index + 1, f"{score:g}"]
            if alliance:
                planted = int(episode.planted_rupture == index + 1)
                row += [f"{episode.alliance[index]:g}", planted]
            writer.writerow([*row, episode.response_class])
            rows += 1
    return rows


@click.command("simulate")
@click.option("--episodes", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--measure", type=click.Choice(sorted(OUTCOME_PRESETS)), default="phq9", show_default=True
)
@click.option("--alliance", is_flag=True, help="Add an SRS-like column with planted ruptures.")
@click.option(
    "--out",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    show_default=True,
    help="CSV file to write ('-' = standard output).",
)
def simulate_command(episodes: int, seed: int, measure: str, alliance: bool, out: TextIO) -> None:
    """Generate synthetic episodes (reference §6; deterministic for a seed). Synthetic only."""
    try:
        data = simulate(preset(measure, alliance=alliance), episodes=episodes, seed=seed)
    except CoreError as error:  # pragma: no cover - presets are validated by the Choice
        raise click.ClickException(str(error)) from error
    rows = write_csv(out, data, measure=measure, alliance=alliance)
    click.echo(f"wrote {episodes} episodes, {rows} rows", err=True)


if __name__ == "__main__":  # pragma: no cover
    simulate_command()
