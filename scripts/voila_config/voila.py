# Voilà's configuration for this course (`make playground`, tests/notebooks/test_playground_browser.py pass
# --Voila.config_file_paths=scripts/voila_config). Voilà executes the notebook with VoilaExecutor, its own
# nbclient subclass, which can miss a cell's reply exactly as nbclient does (scripts/run_notebooks.py,
# SteadyNotebookClient: the Output-widget mimic's send races with the reply's arrival, and the page then
# waits for the whole cell timeout). Its kernel client gets the same bounded polls.
import sys
from pathlib import Path

from voila.execute import VoilaExecutor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/
from run_notebooks import bounded_polls  # noqa: E402

_start_new_kernel_client = VoilaExecutor.async_start_new_kernel_client


async def _steady_kernel_client(self):
    kc = await _start_new_kernel_client(self)
    kc.shell_channel.get_msg = bounded_polls(kc.shell_channel.get_msg)
    return kc


VoilaExecutor.async_start_new_kernel_client = _steady_kernel_client
