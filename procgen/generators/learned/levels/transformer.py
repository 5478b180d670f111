"""level/transformer: being written (this module registers nothing yet)."""
