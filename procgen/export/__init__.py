"""Batch export: many seeds to files games and tools read (PNG, Tiled, engine heightmaps).

    from procgen.export import export, parse_seeds
    export(procgen.get("level/overworld"), parse_seeds("0:1000"), "png,tmj", "out/levels", workers=2)

The export layer consumes content and generators; it never imports the CLI, play or
pygame. See docs/EXPORT.md.
"""

from procgen.export.formats import FORMATS, ExportOptions, asset_stem, formats_for, parse_formats
from procgen.export.manifest import MANIFEST
from procgen.export.runner import BACKENDS, ExportSummary, default_workers, export
from procgen.export.seeds import Seed, SeedList, parse_seeds

__all__ = ["BACKENDS", "FORMATS", "MANIFEST", "ExportOptions", "ExportSummary", "Seed", "SeedList", "asset_stem",
           "default_workers", "export", "formats_for", "parse_formats", "parse_seeds"]
