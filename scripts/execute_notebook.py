"""Execute one notebook in a fresh kernel with nbclient; used by scripts/notebooks.mjs.

Usage: python3 execute_notebook.py SOURCE OUTPUT --kernel tslab --timeout SECONDS

Writes the executed notebook to OUTPUT (the caller renames it into place, so a failed run
never replaces a good copy) and marks it trusted, as `jupyter trust` would. Prints one line per cell to stderr as it starts, and on failure
a line `FAILED cell N (id ID): ENAME: EVALUE` followed by the traceback, then exits 1.
"""
import argparse
import os
import re
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.sign import NotebookNotary

from kernel_start import start_kernels_one_at_a_time


def cell_stderr(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")


def describe_failure(error, cell):
    """One line: the error's name and message.

    tslab reports every failure as ename "<Error>" with an empty value and puts the real
    message (a thrown Error or a TypeScript diagnostic) on the cell's stderr, so look there.
    """
    ename, evalue = getattr(error, "ename", ""), getattr(error, "evalue", "")
    if evalue and ename != "<Error>":
        return f"{ename}: {evalue}"
    lines = [l.strip() for l in cell_stderr(cell).splitlines() if l.strip()]
    thrown = [l for l in lines if re.match(r"^[A-Za-z]*(Error|Exception)\b.*:", l)]
    if thrown or lines:
        return (thrown or lines)[0]
    summary = str(error).strip().splitlines()
    return f"{type(error).__name__}: {summary[-1] if summary else ''}"


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

    peak = {"kb": 0}

    def on_cell_executed(**_):
        # VmHWM is the kernel process's peak resident memory so far (Linux only).
        try:
            with open(f"/proc/{client.km.provisioner.process.pid}/status") as f:
                hwm = next(l for l in f if l.startswith("VmHWM:"))
            peak["kb"] = max(peak["kb"], int(hwm.split()[1]))
        except (AttributeError, OSError, StopIteration):
            pass

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
        on_cell_executed=on_cell_executed,
    )
    start_kernels_one_at_a_time(client)
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        i = current["index"]
        cell = nb.cells[i] if i is not None else {}
        print(f"FAILED cell {i} (id {cell.get('id', '?')}): {describe_failure(e, cell)}", file=sys.stderr)
        print(cell_stderr(cell) or str(e), file=sys.stderr)
        nbformat.write(nb, args.output)  # partial outputs, for inspection; the caller keeps the old copy
        sys.exit(1)
    # What `jupyter trust` does: record the notebook's signature for this user. Figures draw
    # without it (plotly's renderer is safe); trust spares the other HTML outputs (tables,
    # progress bars) JupyterLab's sanitizer when this user opens the executed copy.
    NotebookNotary().sign(nb)
    nbformat.write(nb, args.output)
    if peak["kb"]:
        print(f"PEAK_MEMORY_MB {peak['kb'] // 1024}", file=sys.stderr)


if __name__ == "__main__":
    main()
