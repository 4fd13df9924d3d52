"""Subcommands per role (organizer, registrar, trustee, voter, tally, export)."""

from __future__ import annotations

import argparse


def add_subcommands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the role subcommands."""
