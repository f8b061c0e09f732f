"""Tisserand's benchmark: `python -m bench` (see the README, « Performances »)."""
