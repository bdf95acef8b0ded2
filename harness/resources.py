"""Resource readings shared by the runner and the latency task."""

from __future__ import annotations

import contextlib
import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (VmHWM on Linux, ru_maxrss elsewhere)."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    scale = 1.0 if sys.platform != "darwin" else 1 / 1024.0  # ru_maxrss is KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024.0
