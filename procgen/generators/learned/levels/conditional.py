"""level/conditional: being written (this module registers nothing yet)."""
