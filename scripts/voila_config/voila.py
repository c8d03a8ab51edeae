# Voilà's configuration for this course (`make playground`, tests/notebooks/test_playground_browser.py pass
# --Voila.config_file_paths=scripts/voila_config). Nothing here is needed for the page to load: Voilà without
# this file serves notebook 08 too (tests/notebooks/test_playground_browser.py checks both). It used to give
# Voilà's executor bounded polls against a missed cell reply; the cause, an Output widget answered on the
# shell socket, is gone from the course (issue 28, flowlib/lessons/demo.py).
#
# It loads the server settings the course installs for Binder (etc/jupyter/jupyter_server_config.json: pip
# install . puts it into sys.prefix/etc/jupyter, where the Jupyter server that runs Voilà's server extension reads
# it; a jupyter_server_config.d/*.json would only be read for enabling extensions): a kernel whose page was closed (no
# connection) and that has been idle for cull_idle_timeout seconds is shut down, looked for every cull_interval
# seconds (so within about two minutes; a lecture hall opening and closing pages would otherwise keep ~380 MB
# per closed page), and Voilà does not load the slideshow's widget shim (flowlib-rise-widgets: only RISE needs it;
# Voilà refused it with a 403 on every page load). Options on the command line override these.
import json
from pathlib import Path

SERVER_CONFIG = Path(__file__).resolve().parents[2] / "etc" / "jupyter" / "jupyter_server_config.json"
c = get_config()  # noqa: F821  (traitlets defines it in a config file)
for section, values in json.loads(SERVER_CONFIG.read_text(encoding="utf-8")).items():
    for name, value in values.items():
        setattr(c[section], name, value)
