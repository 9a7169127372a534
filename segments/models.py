"""Segments, their materialized membership, membership events, refresh runs and customer value."""

from django.db import models


class Segment(models.Model):
    """A named rule (JSON, validated on write) plus its materialized member list."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    rule = models.JSONField(default=dict, help_text="The rule, edited with the visual builder.")
    is_active = models.BooleanField(default=True, help_text="Inactive segments are not refreshed and have no members.")
    is_dirty = models.BooleanField(default=True, help_text="Data changed since the last refresh.")
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents", editable=False,
        help_text="Segments this rule refers to through segment.member_of (kept acyclic).",
    )
    member_count = models.PositiveIntegerField(default=0, editable=False)
    last_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "is_dirty"])]

    def __str__(self) -> str:
        return self.name


class RefreshRun(models.Model):
    """One refresh of one segment: when, why, what changed, or what failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another refresh was running)"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        SAVE = "save", "Rule saved"
        SCHEDULE = "schedule", "Schedule"
        DATA_CHANGE = "data_change", "Data changed"
        API = "api", "API"

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="refresh_runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True, help_text="The 'now' the rule was evaluated at.")
    joined = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["segment", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.segment_id} refresh {self.pk} ({self.status})"


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="segment_memberships")
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="segment_membership_unique"),
        ]
        indexes = [models.Index(fields=["contact", "segment"])]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.segment_id}"


class MembershipEvent(models.Model):
    """Append-only history: a contact joined or left a segment."""

    class Kind(models.TextChoices):
        JOINED = "joined", "Joined"
        LEFT = "left", "Left"

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="membership_events")
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="membership_events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField()
    refresh_run = models.ForeignKey(RefreshRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["segment", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.kind} {self.segment_id}"


class CompanyValue(models.Model):
    """Customer value of a company as of `computed_for` (recomputed by the refresh)."""

    class RfmSegment(models.TextChoices):
        CHAMPIONS = "champions", "Champions"
        LOYAL = "loyal", "Loyal"
        NEW = "new", "New"
        PROMISING = "promising", "Promising"
        POTENTIAL_LOYALISTS = "potential_loyalists", "Potential loyalists"
        NEED_ATTENTION = "need_attention", "Need attention"
        ABOUT_TO_SLEEP = "about_to_sleep", "About to sleep"
        CANT_LOSE = "cant_lose", "Can't lose them"
        AT_RISK = "at_risk", "At risk"
        HIBERNATING = "hibernating", "Hibernating"

    company = models.OneToOneField(
        "accounts.Company", on_delete=models.CASCADE, primary_key=True, related_name="customer_value"
    )
    computed_for = models.DateField(help_text="The local day the 12-month window ends before.")
    revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    orders_12m = models.PositiveIntegerField(default=0)
    days_since_last_order = models.PositiveIntegerField(null=True, blank=True)
    rfm_recency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_segment = models.CharField(max_length=24, choices=RfmSegment.choices, blank=True, null=True)
    revenue_rank = models.PositiveIntegerField(
        default=0, help_text="Companies with 12-month revenue <= this company's (the percentile's numerator)."
    )
    company_total = models.PositiveIntegerField(default=0, help_text="All companies (the percentile's denominator).")
    top_25_percent = models.BooleanField(default=False)
    # How the company buys in the same 12 months: the ideal customer profile's behaviour traits.
    products_12m = models.PositiveIntegerField(
        null=True, blank=True, help_text="Different products ordered (assortment breadth); empty until first computed."
    )
    main_channel_12m = models.CharField(
        max_length=16, blank=True, default="", help_text="The channel of most orders (ties: the first by name)."
    )
    lifetime_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    predicted_clv_12m = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rfm_segment"])]

    def __str__(self) -> str:
        return f"value of {self.company_id}"

    @property
    def revenue_percentile(self) -> float | None:
        return 100 * self.revenue_rank / self.company_total if self.company_total else None


class RunSalesStatistics(models.Model):
    """Per-company sales figures of one sales window, shared by every segment of a refresh run.

    Not a stored table: `segments.statistics` fills a session-local temporary table of
    this name at the start of a run (unmanaged, so migrations never create it). The row
    whose `owner` is 0 holds the figures of a company without orders in the window.
    """

    pk = models.CompositePrimaryKey("window_key", "owner")
    window_key = models.CharField(max_length=255)
    owner = models.BigIntegerField(help_text="The company id; 0 for the default row.")
    revenue = models.DecimalField(max_digits=20, decimal_places=2)
    order_count = models.BigIntegerField()
    web_orders = models.BigIntegerField()
    quantity = models.BigIntegerField()
    distinct_products = models.BigIntegerField()
    distinct_categories = models.BigIntegerField()
    first_order_at = models.DateTimeField(null=True)
    last_order_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "segments_run_sales_statistics"


class RunCartStatistics(models.Model):
    """Per-contact open-cart figures of a refresh run (a temporary table, like RunSalesStatistics)."""

    owner = models.BigIntegerField(primary_key=True, help_text="The contact id; 0 for the default row.")
    line_count = models.BigIntegerField()
    quantity = models.BigIntegerField()
    value = models.DecimalField(max_digits=20, decimal_places=2)
    last_item_added_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "segments_run_cart_statistics"
