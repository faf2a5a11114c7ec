"""Feedback and retention: post-delivery surveys (CSAT, NPS, reasons), review requests to satisfied
customers, replenishment and cross-sell gated on good operations, and holdout groups that measure
whether any of it works."""
