"""``edgecors audit``: the running fleet a policy file declares, checked against the file.

:mod:`.probes` derives what to ask from the policy, :mod:`.expect` asks the library itself what
the file says (a ``CORSMiddleware`` in-process), :mod:`.send` asks the live endpoints (OPTIONS,
GET and HEAD only, bounded and rate-limited), :mod:`.answers` and :mod:`.checks` compare,
:mod:`.findings` holds the stable codes, :mod:`.report` prints a table, JSON or JUnit,
:mod:`.run` ties them together and :mod:`.command` is the command line (docs/audit.md).
"""
