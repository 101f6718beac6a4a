"""The analyst notebook: saved without outputs, and it runs top to bottom on the bundled sample data."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "assumed_vs_observed.ipynb"


def test_the_notebook_is_saved_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow  # a kernel mines the sample data
def test_the_notebook_runs_top_to_bottom_and_exports_the_stage_kpis(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEYS_NOTEBOOK_OUT", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel is this interpreter's (ipykernel's python3), started in notebooks/ as Jupyter does;
    # execute() raises CellExecutionError at the first cell that fails.
    NotebookClient(notebook, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    for name in ("stage_kpis.csv", "stage_kpis.xlsx"):
        assert (tmp_path / "spreadsheets" / "purchase" / name).stat().st_size > 0
