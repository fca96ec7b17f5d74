"""The union office's and the studio leaders' web console under /console/ (issue 15).

web.console.app assembles it; web.console.registry holds its pages (add one with
``@CONSOLE.page``); web.console.signin signs people in with one-time links."""
