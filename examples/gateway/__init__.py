"""The gateway demo: a SPA, an API gateway with CORS at its edge, and two services.

::

    browser ── http://localhost:4200   SPA (static HTML + JS)            examples/gateway/static/
       │                               + /probe/direct-call (the probe)  direct_call.py
       └─────> http://localhost:8080   API gateway + CORSMiddleware       gateway.py, policy.toml
                  ├── /orders/... ──> http://127.0.0.1:8081  orders service (Flask, no CORS)
                  └── /users/...  ──> http://127.0.0.1:8082  users service  (Flask, no CORS)

Run ``python -m examples.gateway`` (or ``bash scripts/demo.sh``) and open the printed URL.
"""
