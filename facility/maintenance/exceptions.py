"""Errors of the maintenance domain, each with its HTTP status and a stable code."""

from __future__ import annotations

from facility.core.errors import Conflict, FacilityError, InvalidInput, NotFound


class AssetNotFound(NotFound):
    code = "asset_not_found"


class WorkOrderNotFound(NotFound):
    code = "work_order_not_found"


class InspectionNotFound(NotFound):
    code = "inspection_not_found"


class PlanNotFound(NotFound):
    code = "plan_not_found"


class TemplateNotFound(NotFound):
    code = "template_not_found"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class TimerConflict(Conflict):
    code = "timer_conflict"


class InspectionClosed(Conflict):
    code = "inspection_closed"


class EvidenceLocked(Conflict):
    code = "evidence_locked"


class InvalidAnswers(InvalidInput):
    code = "invalid_answers"


class InvalidRecurrence(InvalidInput):
    code = "invalid_rrule"


class CompletionIncomplete(InvalidInput):
    """Done was asked for without what completing needs; `extra["fields"]` says which and why."""

    code = "completion_incomplete"


class AlertHasWorkOrder(Conflict):
    code = "alert_has_work_order"


class DutyNotFound(NotFound):
    code = "duty_not_found"


class EvidenceRefused(InvalidInput):
    code = "evidence_refused"


class RemediationOpen(Conflict):
    code = "remediation_open"


class RetentionHeld(Conflict):
    """Records asked to be deleted before the law's retention period ends."""

    code = "retention_held"


class ReportUnavailable(FacilityError):
    """No font with Korean glyphs is installed, so no PDF can be made (the CSV still can)."""

    status_code = 503
    code = "pdf_font_missing"
