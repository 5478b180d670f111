"""Regenerate docs/GALLERY.md: a 4x4 grid of seeds 0-15 for every registered generator.

    python docs/make_gallery.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "demos"))

import procgen  # noqa: E402
from preview import contact_sheet  # noqa: E402


def main() -> None:
    folder = HERE / "images" / "gallery"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Gallery", "", "Seeds 0 to 15 of every registered generator, on default parameters.",
             "Regenerate with `python docs/make_gallery.py`.", ""]
    for name in procgen.available():
        entry = procgen.info(name)
        image = folder / f"{name.replace('/', '-')}.png"
        contact_sheet(name, list(range(16)), thumb=160).save(image)
        lines += [f"## `{name}` ({entry.kind}, {entry.content})", "", entry.description, "",
                  f"![{name}, seeds 0-15](images/gallery/{image.name})", ""]
    (HERE / "GALLERY.md").write_text("\n".join(lines))
    print(f"wrote {HERE / 'GALLERY.md'}")


if __name__ == "__main__":
    main()
