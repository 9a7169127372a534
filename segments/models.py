"""Models of the segments app (built with its issue)."""
