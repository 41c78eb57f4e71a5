"""Cohort analyses for service evaluators (plain functions and click commands, no Flask)."""
