"""level/vae: being written (this module registers nothing yet)."""
