"""The child processes the product starts (Graphviz's dot, for the journey map and the discovered model's
diagram): each runs within a time budget in a process group of its own, the whole group is killed with
SIGKILL (which a stuck child cannot ignore, unlike SIGTERM) when the budget passes, and on Linux the child
dies with the process that started it, so that a nightly job never waits on a child nor leaves one behind."""

import ctypes
import os
import shutil
import signal
import subprocess
import sys

from journey_mining.errors import JourneyError

DOT_TIMEOUT_S = 300  # the time budget of one Graphviz layout (the journey map, the discovered model's diagram)
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def run_within(command: list[str], input_text: str, budget_s: float, who: str, task: str
               ) -> subprocess.CompletedProcess:
    """`command` with `input_text` on its standard input: its exit code, standard output and error. Past
    `budget_s` seconds its process group (the child and whatever it started) is killed, and a JourneyError
    says that `who` took longer than the budget to `task`. The group is killed on every way out (an
    interrupt too), so nothing the child started outlives the call."""
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True, preexec_fn=_dies_with_parent()) as child:
        try:
            stdout, stderr = child.communicate(input_text, timeout=budget_s)
        except subprocess.TimeoutExpired:
            raise JourneyError(f"{who} took longer than {budget_s:g} s to {task}; it was stopped") from None
        finally:
            try:  # before Popen's exit waits for the child, which SIGKILL makes quick
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:  # the group has ended already
                pass
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


def dot(dot_text: str, output_format: str, task: str, budget_s: float) -> str:
    """What Graphviz's dot makes of this graph in `output_format` (svg, json), run within `budget_s` seconds;
    `task` ("lay out the journey map") names the work in the errors a user sees."""
    program = shutil.which("dot")
    if program is None:
        raise JourneyError(f"Graphviz's dot is needed to {task}: install graphviz (make setup does)")
    result = run_within([program, f"-T{output_format}"], dot_text, budget_s, "Graphviz", task)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[0]
        raise JourneyError(f"Graphviz could not {task}: {reason}")
    return result.stdout


def _dies_with_parent():
    """Popen's preexec_fn on Linux: the child gets SIGKILL when the thread that started it ends, its process
    killed included (PR_SET_PDEATHSIG; run_within holds that thread until the child has ended). It runs
    between fork and exec, where another thread's lock may be held: it makes system calls and nothing else.
    Elsewhere None."""
    if _LIBC is None:
        return None
    parent = os.getpid()

    def die_with_parent():
        _LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before prctl: no signal will come
            os._exit(1)

    return die_with_parent
