"""One way to make a CP-SAT solver, so every search stops alike on Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import weakref

from ortools.sat.python import cp_model

_solvers: weakref.WeakSet[cp_model.CpSolver] = weakref.WeakSet()
_lock = threading.Lock()
_watching: list[threading.Thread] = []  # the watcher, once started


def new_solver() -> cp_model.CpSolver:
    """A CP-SAT solver that leaves Ctrl-C (SIGINT) to Python.

    By default CP-SAT catches SIGINT during a solve and ends that search as if its time were up:
    the plan then went on to its next stage and was written as if nothing had happened, and two
    searches side by side (one per core) both installing the handler could hang on exit. Here
    Python keeps the signal; :func:`stop_searches_on_ctrl_c` stops the searches running, so the
    KeyboardInterrupt comes at once."""
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False
    with _lock:
        _solvers.add(solver)
    return solver


def stop_searches_on_ctrl_c() -> None:
    """From now on, Ctrl-C stops every running search at once (a search's C++ code holds the
    main thread, so Python's KeyboardInterrupt would otherwise wait for it to end): Python's
    signal handler writes to a pipe that a watcher thread reads. Call it once, from the main
    thread (the command line does); elsewhere it does nothing."""
    if _watching or threading.current_thread() is not threading.main_thread():
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    try:
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except ValueError:  # (not the main thread of the main interpreter)
        return

    def watch() -> None:
        while os.read(read, 1):  # one byte per signal Python handles
            with _lock:
                running = list(_solvers)
            for solver in running:
                solver.stop_search()

    _watching.append(threading.Thread(target=watch, name="stop-searches", daemon=True))
    _watching[0].start()
