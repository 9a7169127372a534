"""The table view of every insight figure: the same rows on the page (for screen readers and exact
values) and in the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from segments.insight.rules import LookAlike
from segments.insight.selectors import (
    CellCompanies,
    KpiReport,
    Kpis,
    Lift,
    Overlap,
    Pareto,
    RfmGrid,
    Trend,
)

Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Table:
    key: str  # the export name: insight-<key>.csv
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        writer.writerows(["" if value is None else value for value in row] for row in self.rows)
        return out.getvalue()


KPI_ROWS: tuple[tuple[str, str], ...] = (
    ("companies", "Companies"),
    ("buying_companies", "Companies with orders (12 months)"),
    ("contacts", "Contacts"),
    ("revenue_12m", "Revenue, 12 months (EUR)"),
    ("revenue_share", "Share of total revenue (%)"),
    ("orders_12m", "Orders, 12 months"),
    ("average_order_value", "Average order value (EUR)"),
    ("annual_spend_per_company", "Annual spend per buying company (EUR)"),
    ("order_frequency", "Orders per buying company"),
    ("repeat_purchase_share", "Repeat purchase share (% with 2+ orders)"),
    ("web_share", "Web share of orders (%)"),
    ("cost_per_order", "Cost per order (EUR)"),
    ("order_cost_12m", "Order handling cost, 12 months (EUR)"),
    ("uncosted_orders", "Orders of channels without a cost"),
    ("predicted_clv_mean", "Predicted CLV, 12 months, mean (EUR)"),
    ("predicted_clv_total", "Predicted CLV, 12 months, total (EUR)"),
    ("predicted_clv_companies", "Companies with a CLV prediction"),
    ("reachable_contacts", "Contacts Mailchimp may reach (consent, active)"),
    ("consented_share", "Consented share of contacts (%)"),
)


def kpi_table(report: KpiReport, *, segment_name: str | None) -> Table:
    columns: list[tuple[str, Kpis]] = []
    if report.segment is not None:
        columns.append((segment_name or report.segment_slug or "segment", report.segment))
    columns.append(("All customers", report.all))
    return Table(
        "kpis", f"KPIs over {report.period_first_day} to {report.period_last_day}",
        ("KPI", *(name for name, _kpis in columns)),
        tuple((label, *(getattr(kpis, key) for _name, kpis in columns)) for key, label in KPI_ROWS),
    )


def rfm_table(grid: RfmGrid) -> Table:
    return Table(
        "rfm_grid", "RFM grid cells", ("Recency", "Frequency", "RFM segment", "Companies", "Contacts", "Revenue 12 months (EUR)"),
        tuple((c.recency, c.frequency, c.rfm_segment, c.companies, c.contacts, c.revenue_12m) for c in grid.cells),
    )


def cell_table(cell: CellCompanies) -> Table:
    return Table(
        "rfm_cell", f"Companies in R{cell.recency} F{cell.frequency} ({cell.rfm_segment}); {cell.total} in all",
        ("Company", "ERP id", "Account type", "Revenue 12 months (EUR)", "Orders 12 months", "Days since last order", "Contacts"),
        tuple((c.name, c.erp_id, c.account_type, c.revenue_12m, c.orders_12m, c.days_since_last_order, c.contacts)
              for c in cell.companies),
    )


def pareto_table(pareto: Pareto) -> Table:
    return Table(
        "pareto", "Cumulative revenue share", ("Companies", "Share of companies (%)", "Share of revenue (%)"),
        tuple((p.companies, p.company_share, p.revenue_share) for p in pareto.points),
    )


def top_companies_table(pareto: Pareto) -> Table:
    return Table(
        "top_companies", "Companies with the highest 12-month revenue",
        ("Rank", "Company", "ERP id", "Revenue 12 months (EUR)", "Cumulative share (%)"),
        tuple((c.rank, c.name, c.erp_id, c.revenue_12m, c.cumulative_share) for c in pareto.top_companies),
    )


def lift_table(lift: Lift) -> Table:
    return Table(
        "lift", f"Traits of {lift.segment_label} ({lift.segment_companies} companies) vs all {lift.companies} companies",
        ("Trait", "Value", "Companies in segment", "Companies", "Share in segment (%)", "Share overall (%)", "Lift",
         "Revenue per company (EUR)", "Revenue per company in segment (EUR)"),
        tuple((r.trait_label, r.value_label, r.segment_companies, r.companies, r.segment_share, r.overall_share, r.lift,
               r.revenue_per_company, r.segment_revenue_per_company) for r in lift.rows),
    )


def lookalike_table(lookalike: LookAlike) -> Table:
    return Table(
        "lookalike", "Traits of the look-alike rule", ("Trait", "Values", "Coverage of the segment (%)", "Lift"),
        tuple((t.label, ", ".join(t.value_labels), t.coverage, t.lift) for t in lookalike.traits),
    )


def overlap_table(overlap: Overlap) -> Table:
    names = {s.slug: s.name for s in overlap.segments}
    return Table(
        "overlap", "Contacts shared by each pair of segments",
        ("Segment", "Other segment", "In both", "In either", "Jaccard"),
        tuple((names[c.first], names[c.second], c.both, c.either, c.jaccard) for c in overlap.cells),
    )


def trends_table(trends: Sequence[Trend]) -> Table:
    return Table(
        "trends", "Members per day (at the day's last refresh) and who joined or left",
        ("Day", "Segment", "Members", "Joined", "Left"),
        tuple((day.day, trend.name, day.member_count, day.joined, day.left) for trend in trends for day in trend.days),
    )
