"""pydantic-graph pipelines: the reverse graph (code → IR) now, hole resolution later."""
