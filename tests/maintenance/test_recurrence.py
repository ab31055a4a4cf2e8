from datetime import UTC, datetime

import pytest

from facility.maintenance.exceptions import InvalidRecurrence
from facility.maintenance.recurrence import next_after, occurrences_between, validate_rule

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_daily_rule_is_seoul_wall_clock() -> None:
    dues = occurrences_between("FREQ=DAILY;BYHOUR=9", START, None, datetime(2026, 1, 3, 12, tzinfo=UTC))
    # 09:00 in Seoul is 00:00 UTC; the start (1 Jan 09:00 KST) is included.
    assert dues == [datetime(2026, 1, d, 0, 0, tzinfo=UTC) for d in (1, 2, 3)]


def test_after_cursor_excludes_the_cursor_itself() -> None:
    first = occurrences_between("FREQ=MONTHLY;BYMONTHDAY=10;BYHOUR=9", START, None, datetime(2026, 3, 1, tzinfo=UTC))
    later = occurrences_between(
        "FREQ=MONTHLY;BYMONTHDAY=10;BYHOUR=9", START, first[-1], datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert [d.month for d in first] == [1, 2]
    assert [d.month for d in later] == [3, 4]


def test_half_yearly_and_floating_next() -> None:
    rule = "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1;BYHOUR=10"
    assert len(occurrences_between(rule, START, None, datetime(2027, 1, 2, tzinfo=UTC))) == 3
    done = datetime(2026, 2, 20, 5, tzinfo=UTC)
    assert next_after("FREQ=MONTHLY;INTERVAL=6;BYHOUR=10", done) == datetime(2026, 8, 20, 1, tzinfo=UTC)


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "nonsense", "FREQ=DAILY;BYHOUR=25"])
def test_bad_rules_are_refused(rule: str) -> None:
    with pytest.raises(InvalidRecurrence):
        validate_rule(rule)
