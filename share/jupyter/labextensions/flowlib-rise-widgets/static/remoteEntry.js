// Sliders inside the slides: a JupyterLab federated extension with no plugin, only a shared module.
//
// Why. jupyterlab-rise 0.43.1's slideshow (the page rise/<path>, what Alt-R and the RISE button
// open) is its own small JupyterLab app, built with JupyterLab 4.3.4's packages but without
// @jupyterlab/console. ipywidgets 8's JupyterLab extension (@jupyter-widgets/jupyterlab-manager,
// from jupyterlab_widgets 3.0.x) takes @jupyterlab/console from the host and bundles no copy of
// it, so in the slideshow its code fails to load ("Shared module @jupyterlab/console doesn't
// exist in shared scope default"), no widget manager exists, and every slider shows as its text
// ("interactive(children=(FloatSlider(..."). Upstream: jupyterlab-contrib/rise issues 119 and 126.
//
// What. The manager takes exactly one thing from @jupyterlab/console: the token IConsoleTracker,
// and only as an optional requirement. Where the host has no @jupyterlab/console (the slideshow),
// this container puts a module holding that token (a lumino Token of the same name, made with the
// host's own @lumino/coreutils) into the shared scope when the host initialises it, before any
// extension's code loads. No plugin provides the token there, so the manager gets null for it, as
// it would in any app without consoles. Where the host has the package (JupyterLab itself, Voila),
// this does nothing.
//
// How it is loaded. Installed as share/jupyter/labextensions/flowlib-rise-widgets (pyproject.toml's
// data-files, with flowlib), it is in the list of federated extensions that both JupyterLab and the
// slideshow load: each loads the script, then calls init(sharedScope) on every container before it
// asks any for its code. tests/test_slides_browser.py moves a slider on a slide; it fails without this.
// Delete this folder when jupyterlab-rise ships @jupyterlab/console (or the manager stops taking it).
(function () {
  "use strict";
  var NAME = "flowlib-rise-widgets";
  var TOKEN = "@jupyterlab/console:IConsoleTracker";  // the name JupyterLab gives the real token
  var containers = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  containers[NAME] = {
    init: function (scope) {
      if (scope["@jupyterlab/console"] || !scope["@lumino/coreutils"]) {
        return;  // the host has consoles (or is not a JupyterLab app): nothing to add
      }
      var coreutils = scope["@lumino/coreutils"];
      var version = Object.keys(coreutils)[0];  // the slideshow bundles exactly one
      var module = null;
      scope["@jupyterlab/console"] = {
        "4.3.4": {  // the version of the slideshow's other @jupyterlab packages
          from: NAME,
          eager: false,
          get: function () {
            return coreutils[version].get().then(function (factory) {
              module = module || {IConsoleTracker: new (factory().Token)(TOKEN)};
              return function () { return module; };
            });
          },
        },
      };
    },
    get: function (request) {
      return Promise.reject(new Error(NAME + " exposes no module (asked for " + request + ")"));
    },
  };
})();
