# Voilà's configuration for this course (`make playground`, tests/notebooks/test_playground_browser.py pass
# --Voila.config_file_paths=scripts/voila_config). Nothing here is needed for the page to load: Voilà without
# this file serves notebook 08 too (tests/notebooks/test_playground_browser.py checks both). It used to give
# Voilà's executor bounded polls against a missed cell reply; the cause, an Output widget answered on the
# shell socket, is gone from the course (issue 28, flowlib/lessons/demo.py).
