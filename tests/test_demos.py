import subprocess
import sys
from pathlib import Path

from PIL import Image

DEMOS = Path(__file__).parent.parent / "demos"


def test_preview_sheet(tmp_path) -> None:
    out = tmp_path / "sheet.png"
    done = subprocess.run([sys.executable, str(DEMOS / "preview.py"), "river/coinflip", "--seeds", "0:6",
                           "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with Image.open(out) as sheet:
        assert sheet.size == (4 * 192, 2 * 192)


def test_preview_bad_input_is_one_line(tmp_path) -> None:
    for args in (["river/nope"], ["river/coinflip", "--seeds", "5:5"], ["river/coinflip", "--seeds", "x"]):
        done = subprocess.run([sys.executable, str(DEMOS / "preview.py"), *args, "-o", str(tmp_path / "s.png")],
                              capture_output=True, text=True)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert list(tmp_path.iterdir()) == []
