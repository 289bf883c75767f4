"""Public transport: GTFS feeds, connection scans and the transit profile."""
