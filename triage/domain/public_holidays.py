"""The public holidays of a country and region, year by year, for the SLA clock.

The `holidays` package knows them, but asking it for one country loads every country it
knows (0.2 s and 11 MB), and the app's first screen would wait for that to draw its SLA
column. So each year's dates, once the package gave them, are kept in a small file in the
user's cache folder, named after the country, the region and the package's version; a
later start reads that file. The package stays the one source: the file only remembers
its answer, and a new version of the package is asked again.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from functools import cache
from pathlib import Path


def cache_folder() -> Path | None:
    """Where the years are kept (None: nowhere, e.g. no home folder)."""
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("triage", appauthor=False))
    except Exception:  # platformdirs found no cache folder in this environment
        return None


@cache
def _package_version() -> str:
    """The installed `holidays` version, read from the name of its one dist-info folder
    beside it: importlib.metadata would cost the app's first screen 10-20 ms to import."""
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is None:
        return "unknown"
    infos = [info for folder in spec.submodule_search_locations or ()
             for info in Path(folder).parent.glob("holidays-*.dist-info")]
    if len(infos) == 1:
        return infos[0].name.removeprefix("holidays-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version  # another kind of install

    try:
        return version("holidays")
    except PackageNotFoundError:
        return "unknown"


class PublicHolidays:
    """`day in PublicHolidays("DE", None)`: whether `day` is a public holiday there."""

    def __init__(self, country: str, region: str | None = None, folder: Path | None = None) -> None:
        self.country = country
        self.region = region
        self._folder = folder if folder is not None else cache_folder()
        self._years: dict[int, frozenset[date]] = {}

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        days = self._years.get(day.year)
        if days is None:
            days = self._years[day.year] = self._year(day.year)
        return day in days

    @property
    def path(self) -> Path | None:
        if self._folder is None:
            return None
        return self._folder / f"holidays-{self.country}-{self.region or ''}-{_package_version()}.json"

    def _year(self, year: int) -> frozenset[date]:
        path = self.path
        stored = self._read(path)
        if str(year) in stored:
            return frozenset(date.fromisoformat(day) for day in stored[str(year)])
        days = self.from_package(year)
        stored[str(year)] = sorted(day.isoformat() for day in days)
        self._write(path, stored)
        return days

    def from_package(self, year: int) -> frozenset[date]:
        """The year's holidays as the `holidays` package says (loading it)."""
        import holidays

        return frozenset(holidays.country_holidays(self.country, subdiv=self.region, years=year))

    @staticmethod
    def _read(path: Path | None) -> dict[str, list[str]]:
        if path is None:
            return {}
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return stored if isinstance(stored, dict) else {}

    @staticmethod
    def _write(path: Path | None, stored: dict[str, list[str]]) -> None:
        """Written whole or not at all (another process may read it meanwhile)."""
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(stored, out)
            os.replace(temporary, path)
        except OSError:
            pass  # no cache this time: the next start asks the package again
