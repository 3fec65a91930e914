"""A person's data: everything the venue holds about them, gathered from each feature."""
