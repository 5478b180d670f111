"""level/gan: being written (this module registers nothing yet)."""
