"""Start notebook kernels one at a time, so that two never get the same port.

jupyter_client picks a kernel's five ports by binding to port 0 and releasing the socket, and the
kernel binds them a second or two later. Two kernels started at once from different processes
can therefore be given the same port (jupyter_client issue #487). tslab then fails to bind it,
reports the error and carries on, and its client talks to the other kernel: a heartbeat's "ping"
arriving on that kernel's shell socket kills the cell running there with "message missing
delimiter". Holding a machine-wide lock from choosing the ports until the kernel answers (its
ports are bound by then) closes that window; the lock is released if the process dies.
"""
import fcntl
import os
import tempfile

LOCK_FILE = os.path.join(tempfile.gettempdir(), "mbrl-kernel-start.lock")


def start_kernels_one_at_a_time(client):
    """Make `client` (an nbclient NotebookClient) start its kernel under the lock.

    Call before `client.execute()` or `client.setup_kernel()`. The lock is taken now and released
    when nbclient reports the kernel ready (its on_notebook_start hook), or when this process
    exits, as it does when the kernel fails to start.
    """
    lock = open(LOCK_FILE, "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    earlier = client.on_notebook_start

    def release(**kwargs):
        lock.close()  # closing the file releases its lock
        if earlier is not None:
            earlier(**kwargs)

    client.on_notebook_start = release
