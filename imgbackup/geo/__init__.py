"""Pure geography: where a GPS position is, from data shipped with the package (no network)."""
