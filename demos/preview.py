"""A contact sheet of consecutive seeds for any generator (or trained-model folder).

    python demos/preview.py river/coinflip --seeds 0:8 -o out/rivers.png
"""

from __future__ import annotations

import argparse
import sys

from PIL import Image

import procgen


def contact_sheet(name: str, seeds: list[int], *, thumb: int = 192, columns: int = 4) -> Image.Image:
    """Thumbnails of ``name`` for ``seeds``, ``columns`` to a row."""
    generator = procgen.get(name)
    thumbs = [c.to_image().convert("RGB").resize((thumb, thumb)) for c in generator.generate_batch(seeds)]
    rows = -(-len(thumbs) // columns)
    sheet = Image.new("RGB", (columns * thumb, rows * thumb), (255, 255, 255))
    for i, image in enumerate(thumbs):
        sheet.paste(image, ((i % columns) * thumb, (i // columns) * thumb))
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="generator name or trained-model folder")
    parser.add_argument("--seeds", default="0:8", help="START:STOP range of int seeds (default 0:8)")
    parser.add_argument("-o", "--output", default="preview.png", help="PNG file to write")
    args = parser.parse_args(argv)
    try:
        start, _, stop = args.seeds.partition(":")
        seeds = list(range(int(start), int(stop)))
        if not seeds:
            raise procgen.ParameterError(f"--seeds {args.seeds} is empty; give START:STOP with START < STOP")
        from procgen.fileio import atomic_write

        sheet = contact_sheet(args.name, seeds)
        atomic_write(args.output, lambda f: sheet.save(f, format="PNG"))
    except (procgen.ProcgenError, ValueError) as exc:
        print(f"preview: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
