"""Pure statistical core: instruments, scoring, reliable change, trajectories, alert rules.

Nothing in this package imports Flask, SQLAlchemy, WTForms, Plotly, APScheduler or any other
part of the application (tests/core/test_purity.py enforces it). Time is always a parameter.
"""
