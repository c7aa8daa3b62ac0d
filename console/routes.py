"""The console's blueprint: importing the page modules registers their routes on it."""

from console import assets, dashboard, jobs, workflows  # noqa: F401  (they register routes)
from console.web import bp

__all__ = ["bp"]
