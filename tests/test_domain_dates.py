"""Days and numbers as people type them: one reader for every option and dialog."""

from datetime import date

import pytest

from triage.domain.dates import parse_day, parse_decimal


@pytest.mark.parametrize("typed", ["31.03.2027", "31.3.2027", "31.3.27", "31-3-27", "31-03-2027", "2027-03-31",
                                   " 31.03.2027 ", "31.03.27."])
def test_a_day_as_germans_dutch_and_iso_write_it(typed):
    assert parse_day(typed) == date(2027, 3, 31)


@pytest.mark.parametrize("typed", ["", "31/03/2027", "2027.03.31", "31.13.2027", "30.02.2027", "morgen", "31-03.2027"])
def test_what_is_not_a_day_is_refused_with_the_forms_that_work(typed):
    with pytest.raises(ValueError) as refused:
        parse_day(typed)
    assert "day" in str(refused.value)


@pytest.mark.parametrize("typed, number", [("0,5", 0.5), ("0.5", 0.5), ("1", 1.0), (" 2,25 ", 2.25), (",5", 0.5)])
def test_a_decimal_comma_is_a_decimal_point(typed, number):
    assert parse_decimal(typed) == number


@pytest.mark.parametrize("typed", ["", "half", "1,2,3", "0.5.1"])
def test_what_is_not_a_number_is_refused(typed):
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal(typed)
