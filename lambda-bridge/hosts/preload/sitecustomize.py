"""wsgw's preload for Python `command` functions: the gateway puts this folder first on
PYTHONPATH when WSGW_AWS_REDIRECT is set, and Python's `site` imports this module at start-up, so
AWS's host names reach the gateway in a function wsgw did not write (wsgw_aws_redirect.py).

The sitecustomize this one shadows (Debian's, a virtualenv's, the user's own) still runs: it is
looked up on the rest of sys.path and executed as `sitecustomize`.
"""

import os
import sys


def _install():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        try:
            import wsgw_aws_redirect
        finally:
            sys.path.remove(here)
        wsgw_aws_redirect.install()
    except Exception as e:  # never stop the function from starting
        sys.stderr.write("wsgw: AWS host names are not redirected to wsgw (%s)\n" % e)


def _run_shadowed():
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_install()
try:
    _run_shadowed()
except Exception as e:
    sys.stderr.write("wsgw: the sitecustomize that wsgw's preload shadows failed: %r\n" % e)
