# Voilà's configuration for this course (`make playground`, tests/notebooks/test_playground_browser.py pass
# --Voila.config_file_paths=scripts/voila_config). Voilà executes the notebook with VoilaExecutor, its own
# nbclient subclass, which can miss a cell's reply exactly as nbclient does (scripts/run_notebooks.py,
# SteadyNotebookClient: the Output-widget mimic's send races with the reply's arrival, and the page then
# waits for the whole cell timeout). Its kernel client gets the same bounded polls.
#
# It also loads the server settings the course installs for Binder (etc/jupyter/jupyter_server_config.json: pip
# install . puts it into sys.prefix/etc/jupyter, where the Jupyter server that runs Voilà's server extension reads
# it; a jupyter_server_config.d/*.json would only be read for enabling extensions): a kernel whose page was closed (no
# connection) and that has been idle for cull_idle_timeout seconds is shut down, looked for every cull_interval
# seconds (so within about two minutes; a lecture hall opening and closing pages would otherwise keep ~380 MB
# per closed page), and Voilà does not load the slideshow's widget shim (flowlib-rise-widgets: only RISE needs it;
# Voilà refused it with a 403 on every page load). Options on the command line override these.
import json
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

SERVER_CONFIG = Path(__file__).resolve().parents[2] / "etc" / "jupyter" / "jupyter_server_config.json"
c = get_config()  # noqa: F821  (traitlets defines it in a config file)
for section, values in json.loads(SERVER_CONFIG.read_text(encoding="utf-8")).items():
    for name, value in values.items():
        setattr(c[section], name, value)
