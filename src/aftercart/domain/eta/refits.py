"""When a store's stored delivery model is behind its history (a pure decision for the worker)."""

from __future__ import annotations


def refit_needed(fitted_on: int, has_model: bool, delivered: int, *, min_history: int, limit: int) -> bool:
    """Whether a fit on ``fitted_on`` deliveries (``has_model``: it had enough for a window) is
    behind a history of ``delivered`` deliveries, whatever its age.

    A store fitted while too thin is behind as soon as it has ``min_history`` deliveries: it should
    switch to learned windows on the next pass, not an hour later. A fitted one is behind once its
    history grew by a tenth (a young store's windows move most while it is small). Counts are capped
    at ``limit`` (what a fit reads): past it, the clock alone refits.
    """
    delivered = min(delivered, limit)
    if not has_model:
        return delivered >= min_history
    return delivered - fitted_on >= max(1, fitted_on // 10)
