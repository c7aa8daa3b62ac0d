"""Azurite for tests: the same runner the demo uses."""

from dagmaster.azurite import ACCOUNT, KEY, Azurite, run_azurite

__all__ = ["ACCOUNT", "KEY", "Azurite", "run_azurite"]
