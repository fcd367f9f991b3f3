"""Start-up and idle cost of the explorer in a real terminal (bench/run.sh).

usage: python3 tui.py ROUNDS MARKER -- EHLO_ARGV...

Each round opens a tmux pane of 120x40 on a private tmux server (-L
ehlo-bench-PID), with the command held behind a FIFO, streams the pane's
output to a file (pipe-pane), then releases the command and times how long
the terminal takes to receive a frame containing MARKER (the greeting). The
time starts just before the release and includes the exec of the binary.

After the first round's frame, the process is left alone for a second, then
its CPU time (the sum of its threads' run time, from /proc/PID/task/*/
schedstat, in nanoseconds) is read over 5 seconds of idleness.

Prints one JSON object: {"startup_ms": [...], "idle_cpu_ms": x, "idle_s": 5}.
The tmux server is killed, and its socket removed, at the end, whatever
happens.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

IDLE_S = 5.0


def tmux(sock, *args, check=True):
    return subprocess.run(["tmux", "-L", sock, *args], check=check,
                          capture_output=True, text=True).stdout.strip()


def cpu_ns(pid):
    """Run time of every thread of pid so far, in nanoseconds."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # the thread exited
    return total


def wait_for(path, marker, timeout):
    """Poll path until it holds marker; return the monotonic time then."""
    deadline = time.monotonic() + timeout
    needle = marker.encode()
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as f:
                if needle in f.read():
                    return time.monotonic_ns()
        except FileNotFoundError:
            pass
        time.sleep(0.0002)
    raise SystemExit(f"tui.py: no frame with {marker!r} within {timeout}s; see {path}")


def one_round(sock, tmp, i, marker, argv, idle):
    fifo = os.path.join(tmp, f"go-{i}")
    raw = os.path.join(tmp, f"frames-{i}")
    os.mkfifo(fifo)
    cmd = "read _ < %s; exec %s" % (fifo, " ".join(argv))
    name = f"tui{i}"
    tmux(sock, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "sh", "-c", cmd)
    tmux(sock, "pipe-pane", "-t", name, "-o", f"cat > {raw}")
    time.sleep(0.05)  # let pipe-pane's cat start
    t0 = time.monotonic_ns()
    with open(fifo, "w") as f:
        f.write("\n")
    t1 = wait_for(raw, marker, 10)
    result = {"startup_ms": (t1 - t0) / 1e6}
    if idle:
        pid = int(tmux(sock, "display-message", "-p", "-t", name, "#{pane_pid}"))
        time.sleep(1)
        c0 = cpu_ns(pid)
        time.sleep(IDLE_S)
        c1 = cpu_ns(pid)
        result["idle_cpu_ms"] = (c1 - c0) / 1e6
    tmux(sock, "kill-session", "-t", name, check=False)
    return result


def main():
    rounds, marker = int(sys.argv[1]), sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1:]
    sock = f"ehlo-bench-{os.getpid()}"
    out = {"startup_ms": [], "idle_s": IDLE_S}
    with tempfile.TemporaryDirectory(prefix="ehlo-tui-") as tmp:
        try:
            tmux(sock, "-f", "/dev/null", "start-server", ";", "set", "-g", "exit-empty", "off")
            for i in range(rounds):
                r = one_round(sock, tmp, i, marker, argv, idle=(i == 0))
                out["startup_ms"].append(r["startup_ms"])
                if "idle_cpu_ms" in r:
                    out["idle_cpu_ms"] = r["idle_cpu_ms"]
        finally:
            tmux(sock, "kill-server", check=False)
            path = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"), "tmux-%d" % os.getuid(), sock)
            if os.path.exists(path):
                os.unlink(path)
    print(json.dumps(out))


main()
