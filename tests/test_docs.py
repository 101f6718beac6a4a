"""The user documentation (docs/, built by `make docs`): it builds without a broken link, the quickstart
runs as written on its example files and prints what the page shows, and every `journeys` command the
pages show is one the command line accepts."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from journey_mining.cli import _parser, main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: Path) -> list[tuple[str, str]]:
    """The fenced code blocks of a page, as (language, text)."""
    return [(lang, text) for lang, text in BLOCK.findall(page.read_text(encoding="utf-8"))]


def test_site_builds_strict(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "journey-map.png").exists()  # the README links it under docs/ too


@pytest.mark.slow
def test_quickstart_runs_as_written(tmp_path):
    """Each `sh` block of the quickstart is one command; the `text` block after it is its exact stdout
    (`journeys ...` run for real, `ls` and `cat` read here). The example files are used where they are."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "examples").symlink_to(DOCS / "examples")
    page = blocks(DOCS / "quickstart.md")
    commands = [(text.strip(), page[i + 1][1] if i + 1 < len(page) and page[i + 1][0] == "text" else None)
                for i, (lang, text) in enumerate(page) if lang == "sh"]
    assert [c.split()[:2] for c, _ in commands if c.startswith("journeys")] == [
        ["journeys", "ingest"], ["journeys", "ingest"], ["journeys", "vocab"], ["journeys", "mine"]]
    for command, shown in commands:
        words = shlex.split(command)
        if words[0] == "journeys":
            done = subprocess.run([sys.executable, "-m", "journey_mining.cli", *words[1:]], cwd=tmp_path,
                                  capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
            assert done.returncode == 0, (command, done.stderr)
            printed = done.stdout
        elif words[0] == "ls":
            printed = "".join(f"{p.name}\n" for p in sorted((tmp_path / words[1]).iterdir()))
        else:
            assert words[0] == "cat", command
            printed = (tmp_path / words[1]).read_text(encoding="utf-8")
        assert shown is not None, f"no output shown after {command}"
        assert [line.rstrip() for line in printed.splitlines()] == shown.rstrip("\n").split("\n"), command


def test_quickstart_shows_the_example_files_as_they_are():
    shown = [text for lang, text in blocks(DOCS / "quickstart.md") if lang in ("text", "yaml")]
    assert (DOCS / "examples" / "journey.yaml").read_text(encoding="utf-8") in shown
    for name in ("clickstream.csv", "crm.csv"):
        lines = (DOCS / "examples" / name).read_text(encoding="utf-8").splitlines()
        block = next(text for text in shown if text.startswith(lines[0]))
        assert [line for line in block.splitlines() if line != "..."] == lines[:len(block.splitlines()) - block.count("...\n")]


def shown_commands() -> list[tuple[str, str]]:
    """Every `journeys ...` command in the pages' code blocks and inline code, as (page, command)."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        inline = re.findall(r"`(journeys [a-z][^`]*)`", BLOCK.sub("", text))
        in_blocks = [line.strip() for lang, block in blocks(page) if lang in ("sh", "")
                     for line in block.splitlines() if line.strip().startswith("journeys ")]
        found += [(page.name, command) for command in inline + in_blocks]
    return found


def test_every_command_shown_parses(capsys):
    """Each command the pages show, with placeholders (`PATH...`, `[--db FILE]`) filled in, is accepted by
    the parser: its command and options exist and take the values shown."""
    commands = shown_commands()
    assert len(commands) > 15
    parser = _parser()
    for page, command in commands:
        words = shlex.split(re.sub(r"\[([^\[\]]*)\]", r"\1", command).replace("...", "").replace("|", " "))[1:]
        if len(words) == 1:  # a command named in the text, e.g. "the output folder of `journeys mine`"
            words.append("--help")
        try:
            parser.parse_args(_fill(words))
        except SystemExit as error:
            if error.code != 0:
                pytest.fail(f"{page}: `{command}` does not parse ({error})")


PLACEHOLDERS = {"ZONE": "UTC", "FILE": "x.duckdb", "DIR": "out", "DATE": "2026-01-01", "FRACTION": "0.05", "N": "50",
                "PATH": "x.csv", "DEFINITION.yaml": "x.yaml", "SEED": "7", "FORMAT": "csv",
                "SHAPE": "many-variants", "NAME=VALUE": "channel=google", "A..B": "2026-09-01..2026-09-30",
                "C..D": "2026-10-01..2026-10-31"}


def _fill(words: list[str]) -> list[str]:
    """Placeholders as values; of alternatives (`clickstream crm`, `--yaml --json`) the first only."""
    filled: list[str] = []
    for word in words:
        word = PLACEHOLDERS.get(word, word)
        if filled and (word, filled[-1]) in {("crm", "clickstream"), ("--json", "--yaml")}:
            continue
        filled.append(word)
    return filled


def test_definition_errors_shown_are_the_real_ones(tmp_path, monkeypatch, capsys):
    """definitions.md shows the errors of the example definition with three mistakes; each is what
    `journeys mine` prints, exit code 2, before it opens any database."""
    example = (DOCS / "examples" / "journey.yaml").read_text(encoding="utf-8")
    mistakes = [("steps: [Pricing, Order]", "steps: [Pricng, Order]"), ("inactivity: 7d ", "inactivity: 7 days "),
                ("    touchpoints:", "    touchpoint:")]
    monkeypatch.chdir(tmp_path)
    printed = []
    for right, wrong in mistakes:
        assert right in example
        Path("journey.yaml").write_text(example.replace(right, wrong, 1), encoding="utf-8")
        assert main(["mine", "journey.yaml", "--db", "missing.duckdb"]) == 2
        printed.append(capsys.readouterr().err.strip())
    shown = [text for lang, text in blocks(DOCS / "definitions.md") if text.startswith("journeys: journey.yaml:")]
    assert shown == ["\n".join(printed) + "\n"]


def test_readme_links_exist():
    """The README's links into the repository (the docs pages, the map's picture) point at files that are there."""
    targets = re.findall(r"\]\(((?!https?:)[^)#\s]+)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert "docs/quickstart.md" in targets and "docs/journey-map.png" in targets
    assert [t for t in targets if not (ROOT / t).exists()] == []
