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


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep freed memory for reuse instead of returning it to the system.

    A short process that builds and drops arrays of tens of MB (`rankbench evaluate` on a large run)
    otherwise maps fresh pages for each, and the kernel's page faults cost more CPU than the
    computation (measured: 0.6 s of system time on a 1.5M-line run, 0.15 s with this). Only the
    command line calls it, for its own process; a no-op where the C library is not glibc.
    """
    import ctypes

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the symbols already loaded into this process: its C library
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3  # glibc's <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # blocks up to 32 MiB (glibc's maximum) from the heap, not mmap
    mallopt(m_trim_threshold, 1 << 30)  # keep up to 1 GiB of freed heap mapped
    mallopt(m_top_pad, 64 << 20)  # grow the heap in 64 MiB steps


_ARROW_RELEASED_AT_EXIT: list[bool] = []


def release_arrow_at_exit() -> None:
    """Free what an uncaught exception keeps alive before the interpreter tears Arrow down (once per process).

    An exception that escapes to the top level keeps its traceback (`sys.last_traceback`, set when
    Python prints it), and with it the frames that held Arrow readers and tables. Freed during the
    interpreter's final teardown, after Arrow's own state, they abort the process ("terminate called
    without an active exception", apache/arrow#34314; measured: 3 of 60 runs of a failing command on a
    busy machine, exit 134 instead of 1). `atexit` runs before that teardown: this drops the kept
    traceback and collects, while Arrow is still whole (0 of 60). Called by the readers that use
    pyarrow's multithreaded CSV reader.
    """
    import atexit

    if _ARROW_RELEASED_AT_EXIT:
        return
    _ARROW_RELEASED_AT_EXIT.append(True)

    def release() -> None:
        import gc

        for name in ("last_exc", "last_type", "last_value", "last_traceback"):
            if hasattr(sys, name):
                setattr(sys, name, None)
        gc.collect()

    atexit.register(release)
