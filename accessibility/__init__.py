"""The bereik accessibility engine: OSM -> networks -> facilities, villages -> indicators."""
