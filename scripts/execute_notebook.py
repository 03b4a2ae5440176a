"""Execute one notebook in a fresh kernel with nbclient; used by scripts/notebooks.mjs.

Usage: python3 execute_notebook.py SOURCE OUTPUT --kernel tslab --timeout SECONDS

Writes the executed notebook to OUTPUT (the caller renames it into place, so a failed run
never replaces a good copy) and marks it trusted, as `jupyter trust` would. Prints one line per cell to stderr as it starts, and on failure
a line `FAILED cell N (id ID): ENAME: EVALUE` followed by the traceback, then exits 1.
"""
import argparse
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.sign import NotebookNotary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("output")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = ap.parse_args()

    nb = nbformat.read(args.source, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    current = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index
        if cell.cell_type == "code":
            n = code_cells.index(cell_index) + 1
            print(f"  cell {cell_index} ({n}/{len(code_cells)} code cells)", file=sys.stderr, flush=True)

    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name=args.kernel,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.source))}},
        on_cell_start=on_cell_start,
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        i = current["index"]
        cell_id = nb.cells[i].get("id", "?") if i is not None else "?"
        summary = str(e).strip().splitlines()
        kind = type(e).__name__
        ename = getattr(e, "ename", kind)
        evalue = getattr(e, "evalue", summary[-1] if summary else "")
        print(f"FAILED cell {i} (id {cell_id}): {ename}: {evalue}", file=sys.stderr)
        print(str(e), file=sys.stderr)
        nbformat.write(nb, args.output)  # partial outputs, for inspection; the caller keeps the old copy
        sys.exit(1)
    # What `jupyter trust` does: record the notebook's signature, so JupyterLab and Notebook
    # run the figures' scripts when this user opens the executed copy.
    NotebookNotary().sign(nb)
    nbformat.write(nb, args.output)


if __name__ == "__main__":
    main()
