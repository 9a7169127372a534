"""Celery tasks that could not be queued (broker down) are kept here and queued again later."""
