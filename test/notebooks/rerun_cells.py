# Runs every code cell of a notebook twice in one tslab kernel, as a reader re-running cells
# does, and prints the library's live tensor count after each pass: "TENSORS <first> <second>".
# nbclient drives the kernel (as the runner does): it waits for each cell's last output, which
# tslab needs (a request arriving while it still sends progress updates crashes its socket).
# A cell that fails or times out prints why and exits 1. Usage: rerun_cells.py NOTEBOOK [SECONDS_PER_CELL]
import os, sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PROBE = 'import * as leakProbe from "../dist";\nconsole.log("TENSORS " + leakProbe.tf.memory().numTensors);'


def main():
    path, timeout = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    probe = len(nb.cells) - 1
    client = NotebookClient(nb, timeout=timeout, kernel_name="tslab", resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    counts = []
    try:
        with client.setup_kernel():
            for _ in range(2):
                for i in code + [probe]:
                    client.execute_cell(nb.cells[i], i)
                counts.append("".join(o.get("text", "") for o in nb.cells[probe].outputs).split()[-1])
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        print(f"{type(e).__name__}: {str(e)[:2000]}", file=sys.stderr)
        sys.exit(1)
    print("TENSORS", *counts)


if __name__ == "__main__":
    main()
