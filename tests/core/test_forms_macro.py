"""templates/forms.html: a field with an error is marked invalid and points at its message."""

from __future__ import annotations

from facility.core.web import templates


def _render(source: str, errors: dict[str, str]) -> str:
    return templates.env.from_string('{% import "forms.html" as forms %}' + source).render(errors=errors)


def test_invalid_field_points_at_its_message() -> None:
    html = _render('<input {{ forms.attrs("title", errors) }}>{{ forms.message("title", errors) }}', {"title": "필수"})
    assert 'id="f-title" name="title" aria-invalid="true" aria-describedby="f-title-error"' in html
    assert '<p class="field-error" id="f-title-error">필수</p>' in html


def test_valid_field_has_no_error_attributes() -> None:
    html = _render('<input {{ forms.attrs("title", errors) }}>{{ forms.message("title", errors) }}', {})
    assert html == '<input id="f-title" name="title">'


def test_summary_links_each_problem_to_its_field() -> None:
    html = _render("{{ forms.summary(errors) }}", {"title": "필수", "": "시간이 겹칩니다"})
    assert 'role="alert"' in html and 'tabindex="-1"' in html and "data-error-summary" in html
    assert '<a href="#f-title">필수</a>' in html
    assert "<li>시간이 겹칩니다</li>" in html
    assert _render("{{ forms.summary(errors) }}", {}).strip() == ""
