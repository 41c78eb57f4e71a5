"""Load the benchmark's synthetic service into a database you use, e.g. ``make run``'s, to try
the pages at a service's size by hand (issue 12: "the caseload and the queue answer at once").

Run: .venv/bin/python bench/load_service.py [--scale 1.0] [--database-url URL]

The default database is ``make run``'s (``instance/outcome_monitor.db``, migrated). It adds
ten teams ("Team 01" ...), 100 therapists, a supervisor of the ten teams and an admin (the
logins are printed; synthetic only), writes the import file of ``synth.py`` and loads it the
way an operator would: ``flask --app wsgi import scores FILE --evaluate-open``, then
``ANALYZE``. Running it twice changes nothing (the import is idempotent; the accounts exist).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pages_setup as setup  # noqa: E402
from synth import Size, therapist_email, write_service_csv  # noqa: E402

DEFAULT_URL = f"sqlite:///{ROOT / 'instance' / 'outcome_monitor.db'}"


def _has_staff(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text('SELECT 1 FROM "user" WHERE email = :email'), {"email": setup.SUPERVISOR}
            ).first()
    finally:
        engine.dispose()
    return found is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the issue's size")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a migrated database")
    args = parser.parse_args()
    if not 0 < args.scale <= 2:
        parser.error("--scale must be above 0 and at most 2")
    size = Size.at(args.scale)
    if _has_staff(args.database_url):
        print("the benchmark's teams and accounts are there already")
    else:
        setup.build(args.database_url, size)
        print(f"added {size.teams} teams, {size.therapists} therapists, a supervisor, an admin")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "service.csv"
        held = write_service_csv(path, size, today=date.today())
        print(f"generated {held['rows']:,} rows, {held['episodes']:,} episodes", flush=True)
        started = time.perf_counter()
        imported = setup.import_file(args.database_url, path)
    setup.analyze(args.database_url)
    print(f"imported in {time.perf_counter() - started:.0f} s: {imported['summary']}")
    print(f"password of every account below: {setup.PASSWORD!r}")
    print(f"  supervisor of the ten teams: {setup.SUPERVISOR}")
    print(f"  therapists: {therapist_email(0)} ... {therapist_email(size.therapists - 1)}")
    print(f"  admin: {setup.ADMIN}")


if __name__ == "__main__":
    main()
