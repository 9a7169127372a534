"""Marketer insight: KPIs, RFM grid, Pareto, ideal-customer-profile lift, overlap and trends (docs/insight.md)."""
