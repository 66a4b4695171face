"""The public holidays the SLA clock skips: the `holidays` package's, kept year by year."""

from datetime import date, timedelta

from triage.domain.public_holidays import PublicHolidays


def every_day(year: int) -> list[date]:
    return [date(year, 1, 1) + timedelta(days=n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]


def test_the_kept_years_say_what_the_package_says(tmp_path):
    asked = PublicHolidays("DE", "BY", folder=tmp_path)
    for year in (2026, 2027):
        assert {day for day in every_day(year) if day in asked} == asked.from_package(year)
    assert date(2026, 12, 25) in asked and date(2026, 1, 6) in asked  # Christmas; Epiphany in Bavaria
    assert asked.path is not None and asked.path.is_file()


def test_a_later_start_reads_the_kept_file_and_not_the_package(tmp_path):
    PublicHolidays("NL", folder=tmp_path).__contains__(date(2026, 4, 27))

    class Unasked(PublicHolidays):
        def from_package(self, year: int) -> frozenset[date]:
            raise AssertionError(f"asked the package for {year}")

    later = Unasked("NL", folder=tmp_path)
    assert date(2026, 4, 27) in later  # King's Day
    assert date(2026, 4, 28) not in later


def test_an_unreadable_cache_is_asked_again_and_written_anew(tmp_path):
    calendar = PublicHolidays("DE", folder=tmp_path)
    assert calendar.path is not None
    calendar.path.write_text("not json", encoding="utf-8")
    assert date(2026, 10, 3) in calendar
    assert "2026" in calendar.path.read_text(encoding="utf-8")


def test_without_a_cache_folder_the_package_answers(tmp_path):
    calendar = PublicHolidays("DE", folder=None)
    calendar._folder = None  # no home folder in this environment
    assert date(2026, 12, 26) in calendar and date(2026, 12, 27) not in calendar
