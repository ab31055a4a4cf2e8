"""Dates with their weekday (and year when it is not this one), recurrence rules in words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import facility
from facility.core.models import Role
from facility.core.wording import audit_action_label, day_label, recurrence_label
from tests.factories import browser_login, make_user
from tests.maintenance.factories import make_plan

SEOUL = ZoneInfo("Asia/Seoul")
TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("rule", "korean", "english"),
    [
        ("FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9", "매월 첫째 월요일 09:00", "Monthly on the first Monday at 09:00"),
        ("FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=15;BYHOUR=10", "매년 9월 15일 10:00", "Yearly on 15 September at 10:00"),
        ("FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=20", "6개월마다 20일", "Every 6 months on day 20"),
        ("FREQ=DAILY;BYHOUR=8;BYMINUTE=30", "매일 08:30", "Daily at 08:30"),
        ("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8", "매주 월요일, 수요일, 8회", "Weekly on Monday, Wednesday, 8 times"),
        ("RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T000000Z", "매월 마지막 금요일, 2027-12-31까지",
         "Monthly on the last Friday, until 2027-12-31"),
        # What the wording does not cover is shown as written, never half-said.
        ("FREQ=WEEKLY;BYSETPOS=1", "FREQ=WEEKLY;BYSETPOS=1", "FREQ=WEEKLY;BYSETPOS=1"),
        ("FREQ=MONTHLY;BYDAY=9MO", "FREQ=MONTHLY;BYDAY=9MO", "FREQ=MONTHLY;BYDAY=9MO"),
        ("nonsense", "nonsense", "nonsense"),
    ],
)  # fmt: skip
def test_recurrence_in_words(rule: str, korean: str, english: str) -> None:
    assert recurrence_label(rule, "ko") == korean
    assert recurrence_label(rule, "en") == english


def test_dates_show_the_weekday_and_a_year_only_when_it_is_not_this_one() -> None:
    evening = datetime(2026, 11, 30, 11, 30, tzinfo=UTC)  # 20:30 in Seoul
    assert day_label(evening, "ko", SEOUL, TODAY, with_time=True) == "11월 30일 (월) 20:30"
    assert day_label(evening, "en", SEOUL, TODAY) == "Mon 30 Nov"
    late = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)  # already 1 January 2027 in Seoul
    assert day_label(late, "ko", SEOUL, TODAY, with_time=True) == "2027년 1월 1일 (금) 00:00"
    assert day_label(date(2025, 3, 5), "en", SEOUL, TODAY) == "Wed 5 Mar 2025"


def test_plans_page_says_the_rule_in_words(client: TestClient, session: Session) -> None:
    make_plan(session, rrule="FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9")
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    assert "매월 첫째 월요일 09:00" in client.get("/maintenance/plans").text
    assert "Monthly on the first Monday at 09:00" in client.get("/maintenance/plans?lang=en").text


def _audit_actions_in_code() -> set[str]:
    """Every `<entity>.<verb>` the code records: `audit.record(s, actor, "x.y", ...)` and
    `action="x.y"` (lifecycle transitions)."""
    found: set[str] = set()
    for path in Path(facility.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'audit\.record\(\s*[^,()]+,\s*[^,()]+,\s*"([a-z_]+\.[a-z_]+)"', text))
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
    return found


def test_every_audit_action_the_code_records_is_worded_in_both_languages() -> None:
    actions = _audit_actions_in_code()
    assert len(actions) > 50 and "bank_deposit.match" in actions
    raw = [
        (action, lang)
        for action in sorted(actions)
        for lang in ("ko", "en")
        if audit_action_label(action, lang) == action
    ]
    assert not raw, f"audit actions shown as codes (add audit.entity.* / audit.verb.* to the core catalogue): {raw}"
