"""Game tables: in a games room, people create tables, sit, watch, and play through the live engine."""
