r"""The playground (notebook 08) in a real kernel (nbclient), without a browser.

The notebook runs top to bottom and leaves no training running. Then, in that kernel, the test plays
the frontend: it sends the widget messages a browser sends (a click on Train, a new value of the
model dropdown, a click on Pause) while training runs, and checks between them that the kernel
answers other requests, that training advances and frames are sent, that the switch gives a fresh
model, and that Pause stops it. Under ipywidgets 7.7.1 too (``.venv-ipyw7``): the messages are the same.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_sliders import ROOT, TIMEOUT_S, current_env_kernel_manager, kernel_env

pytestmark = pytest.mark.slow
NOTEBOOK = ROOT / "notebooks" / "08_playground.ipynb"


def test_playground_in_a_kernel():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=int(TIMEOUT_S), km=current_env_kernel_manager(),
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.shutdown_kernel = "immediate"
    with client.setup_kernel(env=kernel_env(), cleanup_kc=True):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)

        def run(code: str) -> dict:
            cell = nbformat.v4.new_code_cell(code)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            out = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
            return json.loads(out)

        def send(model_id: str, data: dict) -> None:
            content = {"comm_id": model_id, "data": data}
            client.kc.shell_channel.send(client.kc.session.msg("comm_msg", content))

        state = ("import json; p = playground; print(json.dumps({'running': p.running, 'task': p.task is not None, "
                 "'steps': len(p.session.losses), 'frames': p.frames, 'model': p.session.settings.model, "
                 "'status': p.status.value, 'ids': [p.train_button.model_id, p.pause_button.model_id, p.model.model_id]}))")
        first = run(state)
        assert not first["running"] and not first["task"], "the notebook left training running"
        train, pause, model = first["ids"]
        send(train, {"method": "custom", "content": {"event": "click"}})
        time.sleep(3)
        during = run(state)  # the kernel answers while it trains
        assert during["running"] and during["steps"] > first["steps"] and during["frames"] > first["frames"], during
        time.sleep(1)
        later = run(state)
        assert later["steps"] > during["steps"] and later["frames"] > during["frames"], (during, later)
        send(model, {"method": "update", "state": {"index": 2}, "buffer_paths": []})  # a Dropdown syncs its index: MAF
        time.sleep(2)
        switched = run(state)
        assert switched["model"] == "MAF" and switched["running"], switched
        send(pause, {"method": "custom", "content": {"event": "click"}})
        time.sleep(1.5)
        paused = run(state)
        time.sleep(1.5)
        still = run(state)
        assert not paused["running"] and "paused" in paused["status"], paused
        assert (still["steps"], still["frames"]) == (paused["steps"], paused["frames"])
        assert "Traceback" not in still["status"] and "failed" not in still["status"]
