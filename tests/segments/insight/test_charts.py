"""The SVG charts: long segment names fit the room they have and stay whole where a reader looks them up."""

from decimal import Decimal

from segments.insight.charts import overlap_svg
from segments.insight.selectors import Overlap, OverlapCell, OverlapSegment

LONG = "Trusted customers (credit approved by finance)"


def test_a_long_segment_name_is_cut_in_the_axis_labels_and_whole_in_the_tooltip():
    segments = (OverlapSegment("trusted", LONG, 406), OverlapSegment("top", "Top 25%", 182))
    cells = tuple(
        OverlapCell(first.slug, second.slug, 10, 20, Decimal("0.5000")) for first in segments for second in segments
    )

    svg = str(overlap_svg(Overlap(segments=segments, cells=cells)))

    assert ">Trusted customers (credit a…</text>" in svg
    assert f"<title>{LONG} and Top 25%:" in svg
    assert ">Top 25%</text>" in svg  # short names are left alone
