"""The README's Python example runs as written."""

import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md should show the Python API"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "land.png").exists() and (tmp_path / "my-rivers" / "model.json").exists()


def test_readme_commands_are_the_makefile_targets() -> None:
    text = README.read_text()
    makefile = (README.parent / "Makefile").read_text()
    assert "make run" in text and "make test" in text
    assert "\nrun:" in makefile and "\ntest:" in makefile
    assert "make test" in (README.parent / ".ci" / "run").read_text()
