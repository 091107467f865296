"""Demo data for `flask seed-demo`: offices, staff, families with needs, volunteers, patrons; used by the CLI only."""
