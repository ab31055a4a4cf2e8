from pathlib import Path

from facility.imports import service

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def test_docs_describe_every_kind_and_column() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, cls in service.IMPORTERS.items():
        assert f"## {kind}" in text
        section = text.split(f"## {kind}", 1)[1].split("\n## ", 1)[0]
        for column in cls.columns:
            assert f"| `{column.name}` |" in section, (kind, column.name)
        assert (Path(service.__file__).with_name("samples") / f"{kind}.csv").exists()
