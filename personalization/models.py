"""Models of the personalization app (built with its issue)."""
