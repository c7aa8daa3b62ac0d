from datetime import timedelta

import pytest

from domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("10m", 600),
        ("2h", 7200),
        ("1d", 86400),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        ("PT30S", 30),
        ("PT1H30M", 5400),
        ("P1DT2H", 93600),
        ("pt5m", 300),
    ],
)
def test_short_and_iso_durations_parse(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["soon", "10 minutes", "P", "PT", "-5s", "0s", ""])
def test_bad_durations_name_the_value_and_the_forms(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_canonical_form_is_the_largest_exact_unit():
    assert [format_duration(parse_duration(t)) for t in ("120s", "90m", "1500ms", "PT24H")] == [
        "2m",
        "90m",
        "1500ms",
        "1d",
    ]
