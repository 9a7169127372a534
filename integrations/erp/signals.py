"""Notifications of the ERP import for other apps (the segment engine marks segments dirty)."""

from django.dispatch import Signal

# Sent on commit after a non-dry-run import that wrote its rows (status succeeded or
# partial). sender=ImportRun, keyword argument `import_run`.
erp_import_finished = Signal()
