"""Errors of the sensors domain."""

from __future__ import annotations

from facility.core.errors import Conflict, FacilityError, InvalidInput, NotFound
from facility.core.i18n import gettext as _


class DeviceNotFound(NotFound):
    code = "device_not_found"

    def __init__(self, device_id: object) -> None:
        super().__init__(_("Device {device} does not exist.", device=device_id))


class UnknownMetric(InvalidInput):
    code = "unknown_metric"

    def __init__(self, metric: str) -> None:
        super().__init__(_("Unknown metric {metric}.", metric=repr(metric)))


class ReadingStoreDown(FacilityError):
    status_code = 503
    code = "reading_store_unavailable"

    def __init__(self) -> None:
        super().__init__(_("The reading store is not reachable right now; try again shortly."))


class AlertNotFound(NotFound):
    code = "alert_not_found"

    def __init__(self, alert_id: object) -> None:
        super().__init__(_("Alert {alert} does not exist.", alert=alert_id))


class AlertAlreadyHandled(Conflict):
    """Someone else acknowledged or resolved it first (or it is closed): the loser of a race."""

    code = "alert_already_handled"


class InvalidChannel(InvalidInput):
    code = "invalid_channel"

    def __init__(self, channel: str, known: str) -> None:
        super().__init__(
            _(
                "Unknown channel {channel}: a channel is a kind ({known}), optionally :<number>.",
                channel=repr(channel)[:60],
                known=known,
            )
        )


class InvalidDesiredValue(InvalidInput):
    code = "invalid_desired_value"


class ChannelNotFound(NotFound):
    code = "channel_not_found"

    def __init__(self, device_id: object, channel: str) -> None:
        super().__init__(_("Device {device} has no channel {channel}.", device=device_id, channel=channel[:60]))


class AlertRulesChanged(Conflict):
    """Someone saved the alert rules since this editor read them: reload, then change again."""

    code = "alert_rules_changed"

    def __init__(self, current: int) -> None:
        super().__init__(
            _("The alert rules were changed meanwhile (now version {version}); reload and try again.", version=current)
        )
