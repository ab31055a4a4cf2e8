from collections import Counter

from sqlmodel import Session, func, select

from facility.demo.load import load_demo_campus
from facility.rooms import service
from facility.rooms.models import Building, Campus, Room


def test_demo_campus_matches_the_report(session: Session) -> None:
    first = load_demo_campus(session)
    session.commit()
    second = load_demo_campus(session)  # idempotent: updates, never duplicates
    session.commit()
    assert first == second
    assert session.exec(select(func.count()).select_from(Room)).one() == first["rooms"]

    counts: Counter[tuple[str, str]] = Counter()
    for campus, category in session.exec(
        select(Campus.code, Room.category)
        .join(Building, Building.id == Room.building_id)
        .join(Campus, Campus.id == Building.campus_id)
    ):
        counts[(campus, category)] += 1
    assert counts[("main", "lecture")] == 44
    assert counts[("main", "special")] == 57
    assert counts[("tsc", "lecture")] == 23
    assert counts[("tsc", "special")] == 5
    main_buildings = session.exec(
        select(Building.code).join(Campus, Campus.id == Building.campus_id).where(Campus.code == "main")
    ).all()
    for code in ("edu", "admin", "welf", "dorm", "aud", "pool"):
        assert code in main_buildings

    by_code = {r.code: r for r in session.exec(select(Room)).all()}
    named_spaces = (
        "E-VH1",
        "E-HYB",
        "E-SMART",
        "E-VR",
        "A-ST1",
        "A-VSTUDIO",
        "W-CONV",
        "H-AUD",
        "W-DINING",
        "D-GYM",
        "P-POOL",
        "A-DRC",
    )
    for named in named_spaces:
        assert named in by_code
    hall = by_code["W-CONV"]
    assert service.atomic_space_ids(session, hall.id) == sorted([by_code["W-CONV-A"].id, by_code["W-CONV-B"].id])
    assert "capacity" in by_code["E-101"].demo_values
    assert "floor" not in by_code["A-INFO"].demo_values  # the report states the 4th floor
