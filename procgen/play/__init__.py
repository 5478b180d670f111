"""Playable demos: an explorer game, a river lab and a seed gallery (``procgen demo``).

A user-surface layer beside ``procgen.cli``: it may import everything below it, nothing
below imports it. Game state and rules (``explorer``, ``rivers_lab``, ``gallery``,
``controls``, ``worker``) never import pygame, so they are tested without a window;
``app`` and ``render`` are the only pygame code.
"""
