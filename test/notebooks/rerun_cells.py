# Runs every code cell of a notebook twice in one tslab kernel, as a reader re-running cells
# does, and prints the library's live tensor count after each pass: "TENSORS <first> <second>".
# A cell that fails or times out prints why and exits 1. Usage: rerun_cells.py NOTEBOOK [SECONDS_PER_CELL]
import os, sys, nbformat
from jupyter_client.manager import start_new_kernel

PROBE = 'import * as leakProbe from "../dist";\nconsole.log("TENSORS " + leakProbe.tf.memory().numTensors);'


def execute(kc, code, timeout):
    """Run one cell; returns its stdout, raises on an error."""
    out, err = [], []
    def hook(msg):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            err.append(f'{msg["content"]["ename"]}: {msg["content"]["evalue"]}')
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    if err or reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {' '.join(err) or reply['content']}\n{code[:300]}")
    return "".join(out)


def main():
    path, timeout = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600
    cells = ["".join(c.source) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    km, kc = start_new_kernel(kernel_name="tslab", cwd=os.path.dirname(os.path.abspath(path)))
    try:
        counts = []
        for _ in range(2):
            for code in cells:
                execute(kc, code, timeout)
            counts.append(execute(kc, PROBE, timeout).split()[-1])
        print("TENSORS", *counts)
    except (RuntimeError, TimeoutError) as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
