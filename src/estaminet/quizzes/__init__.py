"""Question sets for Le Quiz: written in the app or imported from CSV, with pictures and sounds."""
