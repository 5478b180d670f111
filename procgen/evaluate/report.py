"""Write a Comparison as report.md, report.json and pictures, all at once or not at all."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from procgen.content.river import walk
from procgen.errors import OutputError
from procgen.fileio import staging_folder, swap_folder
from procgen.evaluate.compare import Comparison
from procgen.evaluate.statistics import STATISTICS

PALETTE = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
UNITS = {"sinuosity": "length / chord", "turning_angle": "radians", "curvature_acf": "lag-1 autocorrelation",
         "run_length": "turns", "extent": "radius of gyration / length"}


def check_report_target(out: str | os.PathLike[str], *, force: bool = True) -> Path:
    """Refuse an output folder that cannot take a report, before any work is done.

    An earlier report there is replaced only with ``force`` (the command line's ``--force``;
    library callers replace by default); a folder holding anything else is never replaced.
    """
    target = Path(out)
    try:
        holds = target.is_dir() and any(target.iterdir())
        if target.exists() and (not target.is_dir() or (holds and not (target / "report.json").exists())):
            raise OutputError(f"'{target}' exists and is not an earlier report; choose an empty or new folder")
        if holds and not force:
            raise OutputError(f"'{target}' already holds a report; pass --force to replace it, or choose "
                              "another --out folder")
        if not target.parent.is_dir():
            raise OutputError(f"folder '{target.parent}' does not exist; create it first")
    except OSError as exc:  # e.g. a path through a file
        raise OutputError(f"cannot use report folder '{target}': {exc.strerror or exc}") from None
    return target


def write_report(report: Comparison, out: str | os.PathLike[str], *, force: bool = True) -> Path:
    """Write the report folder ``out``; an earlier report there is replaced whole (with ``force``)."""
    def fill(staging: Path) -> None:
        (staging / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        samples_png(report).save(staging / "samples.png")
        histograms_png(report).save(staging / "histograms.png")
        (staging / "report.md").write_text(markdown(report))

    return write_report_folder(out, fill, force=force)


def write_report_folder(out: str | os.PathLike[str], fill: Callable[[Path], None], *, force: bool = True) -> Path:
    """Call ``fill(staging)`` on a fresh folder beside ``out``, then swap it in for ``out`` whole.

    Readers of ``out`` see the old report or the new one, never a mix; a failure (or Ctrl-C)
    while filling leaves the old one untouched and no staging folder behind.
    """
    target = check_report_target(out, force=force)
    staging = staging_folder(target)
    try:
        fill(staging)
        swap_folder(staging, target)
    except OSError as exc:
        raise OutputError(f"cannot write report '{target}': {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main_table(report: Comparison) -> list[str]:
    """The headline table (Markdown rows), also quoted in the README."""
    rows = ["| generator | kind | step | held-out NLL (nats/step) | discriminator accuracy (95% CI; test windows) | "
            "mean KS | novelty: median NN distance (copies) |", "|---|---|---|---|---|---|---|"]
    for r in report.results:
        nll = f"{r.nll.nats_per_step:.3f} ± {r.nll.stderr:.3f}" if r.nll else "implicit"
        d = r.discriminator
        rows.append(f"| `{r.label}` | {r.kind} | {r.step_length:g} | {nll} | {d.accuracy:.3f} "
                    f"({d.ci_low:.3f}-{d.ci_high:.3f}; {d.n_test}) | {r.mean_ks:.3f} | "
                    f"{r.novelty.median:.3f} ({100 * r.novelty.copies:.1f}%) |")
    if report.reference_novelty is not None:
        rows.append(f"| real held-out rivers | data | | | 0.5 by definition | 0 | "
                    f"{report.reference_novelty.median:.3f} ({100 * report.reference_novelty.copies:.1f}%) |")
    return rows


FEW_TEST_WINDOWS = 400  # below this the discriminator's 95% interval is wider than about +-0.05


def few_windows_warning(report: Comparison) -> list[str]:
    """A warning line when the discriminator had few windows to test on (its interval is wide)."""
    tests = [r.discriminator for r in report.results]
    if not tests or min(d.n_test for d in tests) >= FEW_TEST_WINDOWS:
        return []
    fewest = min(tests, key=lambda d: d.n_test)
    return [f"- **Few windows**: the discriminator tested on as few as {fewest.n_test} windows "
            f"({report.holdout_rivers} held-out rivers), so its 95% interval is wide (e.g. "
            f"{fewest.ci_low:.2f}-{fewest.ci_high:.2f}): accuracies whose intervals overlap are not "
            "different. More or longer held-out rivers, or a smaller --window, narrow it."]


def markdown(report: Comparison) -> str:
    lines = ["# River comparison", "",
             f"{report.samples} rivers of each generator (comparison seed {report.seed}) against "
             f"{report.holdout_rivers} held-out real rivers ({report.holdout_windows} windows). Every river is "
             f"resampled every {report.step_length:g} km and cut into windows of {report.window} turns.", "",
             *main_table(report), "",
             "- **Held-out NLL**: negative log-likelihood of the held-out rivers' turns, nats per step, turns "
             "dequantized at 0.01 rad (lower is better; standard errors treat rivers as independent).",
             "- **Discriminator**: a classifier trained to tell generated windows from held-out ones, scored on "
             "windows it did not see; 0.5 means indistinguishable. It trains on half of "
             f"min({report.holdout_windows} held-out, generated) windows and tests on the other half.",
             *few_windows_warning(report),
             "- **Mean KS**: the Kolmogorov-Smirnov statistic averaged over the five statistics below.",
             "- **Novelty**: RMS turn difference (radians) from each generated window to its nearest training "
             "window, mirror images included; copies are windows closer than 0.001 (memorisation).", "",
             "## Distance to the real rivers, per statistic", "",
             "Wasserstein-1 (in the statistic's units) / Kolmogorov-Smirnov statistic. The KS p-values in "
             "report.json treat every value as independent; turning angles and run lengths are pooled over "
             "turns that are correlated within a river, so for those read the statistic (an effect size), "
             "not the p-value.", "",
             "| generator | " + " | ".join(STATISTICS) + " |", "|---|" + "---|" * len(STATISTICS)]
    for r in report.results:
        cells = [f"{r.distances[s].wasserstein:.4f} / {r.distances[s].ks:.3f}" for s in STATISTICS]
        lines.append(f"| `{r.label}` | " + " | ".join(cells) + " |")
    lines += ["", "Units: " + "; ".join(f"{s}: {UNITS[s]}" for s in STATISTICS) + ".", "",
              "## Samples at one scale", "", "Top row: real held-out windows; then six windows of each generator, "
              f"all drawn at the same km per pixel, starting eastward.", "", "![samples](samples.png)", "",
              "## Statistics", "", "![histograms](histograms.png)", ""]
    return "\n".join(lines)


def samples_png(report: Comparison, cell: int = 150, label_width: int = 230) -> Image.Image:
    rows = list(report.examples.items())
    image = Image.new("RGB", (label_width + cell * 6, cell * len(rows)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    scale = (cell - 12) / (report.window * report.step_length)  # px per km: a straight window fills a cell
    for r, (label, windows) in enumerate(rows):
        draw.text((8, r * cell + cell // 2 - 6), label, fill=(0, 0, 0))
        for c, turns in enumerate(windows):
            x0, y0 = label_width + c * cell, r * cell
            draw.rectangle([x0 + 2, y0 + 2, x0 + cell - 3, y0 + cell - 3], fill=(240, 236, 222))
            points = walk(turns, step_length=report.step_length, heading=0.0)  # (W + 2, 2) km
            centre = (points.min(axis=0) + points.max(axis=0)) / 2
            xy = (points - centre) * scale * np.array([1, -1]) + np.array([x0 + cell / 2, y0 + cell / 2])
            draw.line([tuple(p) for p in xy.tolist()], fill=(38, 98, 168) if r else (20, 20, 20), width=2)
    return image


def histograms_png(report: Comparison, width: int = 360, height: int = 240) -> Image.Image:
    labels = list(report.statistics)
    legend = 18 * (len(labels) + 1)
    image = Image.new("RGB", (width * len(STATISTICS), height + legend), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for k, stat in enumerate(STATISTICS):
        x0, pad = k * width, 28
        # The real data sets the range, widened a little: a generator's outliers must not
        # squash the real distribution into one bin.
        lo, hi = np.quantile(report.statistics[labels[0]][stat], [0.005, 0.995])
        lo, hi = lo - 0.15 * (hi - lo), hi + 0.15 * (hi - lo)
        edges = np.linspace(lo, hi + 1e-12, 41)
        curves = [np.histogram(np.clip(report.statistics[l][stat], lo, hi), edges, density=True)[0] for l in labels]
        top = max(float(c.max()) for c in curves) or 1.0
        draw.rectangle([x0 + pad, pad, x0 + width - 8, height - pad], outline=(0, 0, 0))
        draw.text((x0 + pad, 6), f"{stat} ({UNITS[stat]})", fill=(0, 0, 0))
        draw.text((x0 + pad, height - pad + 4), f"{lo:.3g}", fill=(0, 0, 0))
        draw.text((x0 + width - 60, height - pad + 4), f"{hi:.3g}", fill=(0, 0, 0))
        for i, curve in enumerate(curves):
            xs = x0 + pad + (np.arange(len(curve) + 1) / len(curve)) * (width - 8 - 2 * pad + pad)
            ys = height - pad - curve / top * (height - 2 * pad - 4)
            steps = [(float(xs[j + d]), float(ys[j])) for j in range(len(curve)) for d in (0, 1)]
            draw.line(steps, fill=(0, 0, 0) if i == 0 else PALETTE[(i - 1) % len(PALETTE)], width=3 if i == 0 else 2)
    for i, label in enumerate(labels):
        color = (0, 0, 0) if i == 0 else PALETTE[(i - 1) % len(PALETTE)]
        y = height + 6 + 18 * i
        draw.line([(10, y + 6), (40, y + 6)], fill=color, width=3)
        draw.text((48, y), label, fill=(0, 0, 0))
    return image
