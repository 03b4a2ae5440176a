# Runs every code cell of a notebook twice in one tslab kernel, as a reader re-running cells
# does, and prints the library's live tensor count after each pass, "TENSORS <first> <second>",
# and each pass's seconds, "SECONDS <first> <second>".
# nbclient drives the kernel (as the runner does) and waits for each cell's last output.
# A cell that fails or times out prints why and exits 1. Usage: rerun_cells.py NOTEBOOK [SECONDS_PER_CELL]
import os, sys, time, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from kernel_start import start_kernels_one_at_a_time  # noqa: E402  (the runner's lock: see there)


def probe_source(folder):
    dist = os.path.relpath(os.path.join(ROOT, "dist"), folder)
    return f'import * as leakProbe from "{dist}";\nconsole.log("TENSORS " + leakProbe.tf.memory().numTensors);'


def main():
    path, timeout = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600
    folder = os.path.dirname(os.path.abspath(path))
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    nb.cells.append(nbformat.v4.new_code_cell(probe_source(folder)))
    probe = len(nb.cells) - 1
    client = NotebookClient(nb, timeout=timeout, kernel_name="tslab", resources={"metadata": {"path": folder}})
    start_kernels_one_at_a_time(client)
    counts, seconds = [], []
    try:
        with client.setup_kernel():
            for _ in range(2):
                started = time.time()
                for i in code + [probe]:
                    client.execute_cell(nb.cells[i], i)
                seconds.append(f"{time.time() - started:.1f}")
                counts.append("".join(o.get("text", "") for o in nb.cells[probe].outputs).split()[-1])
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        print(f"{type(e).__name__}: {str(e)[:2000]}", file=sys.stderr)
        sys.exit(1)
    print("TENSORS", *counts)
    print("SECONDS", *seconds)


if __name__ == "__main__":
    main()
