"""A store's feedback settings as the rules read them (defaults when it saved none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from aftercart.domain.feedback.survey import DEFAULT_THRESHOLDS, Scale, Thresholds
from aftercart.feedback.models import JOURNEYS, FeedbackSettings

#: The largest share of customers a holdout may take: most customers always get the journey.
MAX_HOLDOUT = 0.9


@dataclass(frozen=True)
class FeedbackConfig:
    """What the feedback rules need of one store's settings."""

    scale: Scale = Scale.CSAT
    survey_enabled: bool = True
    survey_delay: timedelta = timedelta(hours=48)
    survey_window: timedelta = timedelta(days=30)
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    onboarding_enabled: bool = True
    onboarding_delay: timedelta = timedelta(hours=24)
    replenishment_enabled: bool = True
    replenishment_lead_days: int = 3
    min_intervals: int = 5
    min_customers: int = 3
    holdout: dict[str, float] = field(default_factory=dict)
    shop_url: str = ""

    def holdout_share(self, journey: str) -> float:
        """The share of customers held out of ``journey`` (0 when the store runs no holdout)."""
        return self.holdout.get(journey, 0.0)


def _share(value: object) -> float:
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return min(max(share, 0.0), MAX_HOLDOUT) if share == share else 0.0


def config_of(row: FeedbackSettings | None) -> FeedbackConfig:
    """The rules' view of a settings row (``None``: the defaults)."""
    if row is None:
        return FeedbackConfig()
    holdout = row.holdout if isinstance(row.holdout, dict) else {}
    return FeedbackConfig(
        scale=Scale(row.scale) if row.scale in Scale._value2member_map_ else Scale.CSAT,
        survey_enabled=row.survey_enabled,
        survey_delay=timedelta(hours=row.survey_delay_hours),
        survey_window=timedelta(days=max(row.survey_window_days, 1)),
        thresholds=Thresholds(row.csat_satisfied, row.nps_satisfied, row.csat_unhappy, row.nps_unhappy),
        onboarding_enabled=row.onboarding_enabled,
        onboarding_delay=timedelta(hours=row.onboarding_delay_hours),
        replenishment_enabled=row.replenishment_enabled,
        replenishment_lead_days=row.replenishment_lead_days,
        min_intervals=max(row.replenishment_min_intervals, 1),
        min_customers=max(row.replenishment_min_customers, 1),
        holdout={k: _share(holdout[k]) for k in JOURNEYS if k in holdout},
        shop_url=row.shop_url,
    )


def feedback_config(store_id: int) -> FeedbackConfig:
    """One store's feedback settings."""
    return config_of(FeedbackSettings.objects.filter(store_id=store_id).first())


def feedback_configs(store_ids: set[int]) -> dict[int, FeedbackConfig]:
    """Several stores' settings in one query (stores without a row get the defaults)."""
    rows = {r.store_id: r for r in FeedbackSettings.objects.filter(store_id__in=store_ids)}
    return {sid: config_of(rows.get(sid)) for sid in store_ids}
