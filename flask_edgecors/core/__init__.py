"""The core: CORS for any WSGI application, standard library only.

It knows nothing of Flask, configuration files or the diagnostic tools; they import it.
Where to look (the rules themselves are in ``docs/design.md``):

=====================  ==================================================================
``middleware``         :class:`CORSMiddleware`: the one request path
``classify``           "is this a preflight?": not CORS / preflight / actual
``plan``               which policy a request gets: one policy, a route table, a resolver
``routing``            the route table (``routes={prefix: policy}``)
``policy``             :class:`CORSPolicy`, the user's configuration, validated
``validation``         one function per option: every problem, with its code
``compiled``           :class:`CompiledPolicy`: the precomputed answers to actual requests
``preflight``          the preflight answer
``responses``          the responses this layer writes: preflight, error, the merged answer
``origins``            the canonical origin syntax and the configured origin patterns
``origin_matching``    origin matching: exact set, wildcard indexes, regexes, callables
``origin_lookup``      callable origin sources: cached, bounded, time-limited, fail closed
``hosts``              host names as a browser serialises them (IDNA, IP literals, zone ids)
``headers``            Fetch's header grammar, header lists, ``Vary`` merging
``cors_check``         the CORS check a browser applies to a response (report mode)
``decision``           :class:`Decision`, reason codes
``events``             decision events and report mode
``stacking``           two CORS layers, found at construction
``broadening``         what a reload grants that the previous policy set did not
``errors``             :class:`ConfigurationError` and the error codes
``logsafe``            escaping of request-derived text for logs and debug output
=====================  ==================================================================
"""
