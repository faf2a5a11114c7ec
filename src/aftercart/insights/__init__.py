"""Insights: the merchant's KPI figures read across every subject (orders, messages, returns,
claims, support, feedback), carrier and region performance, and "what to fix first"."""
