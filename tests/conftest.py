"""Test-wide settings: Hypothesis without per-example deadlines (the 2-core machines are noisy,
and speed is measured by bench/, never by tests), derandomized under CI so a run is repeatable."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")
