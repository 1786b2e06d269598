"""Diagnostics: what a browser would do, and why.

Standard library only.  The browser's rules (:mod:`.browser_rules`) and its fetch loop
(:mod:`.emulated_fetch`) run over HTTP in the probe (:mod:`.probe`) and in-process against a
WSGI app (:mod:`.wsgi_transport`) for :func:`.explain.explain` and
:mod:`flask_edgecors.testing`; :mod:`.advice` words one fix per failing check; :mod:`.risks`
lists risky-but-legal configuration choices; :mod:`.audit.run` checks the running fleet a
policy file declares against the file (``edgecors audit``); :mod:`.probe_command`,
:mod:`.check_command` and the audit command are commands of ``edgecors``
(``python -m flask_edgecors``).
"""
