"""Outside HTTP: Zoom, Microsoft identity and Graph, Slack user lookups."""
