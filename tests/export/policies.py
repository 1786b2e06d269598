"""The route table the nginx tests export: every kind of origin entry and option nginx must
express (exact, subdomain and port wildcards, a regular expression, ``*``, credentials with
reflected methods and headers, Private Network Access, a carve-out, a non-ASCII prefix)."""

from __future__ import annotations

import re

from flask_edgecors import CORSPolicy

SPA = "https://app.example.com"

API = CORSPolicy(
    allow_origins=[
        SPA,
        "https://*.example.com",
        "http://localhost:*",
        re.compile(r"https://tenant-[0-9]{1,4}\.example\.net"),
    ],
    allow_methods=["GET", "PUT", "DELETE", "patch"],
    allow_headers=["Authorization", "Content-Type", "X-Correlation-Id"],
    expose_headers=["X-Correlation-Id"],
    allow_credentials=True,
    max_age=600,
    name="api",
)
PUBLIC = CORSPolicy(
    allow_origins=["*"], allow_methods=["*"], allow_headers=["*"], expose_headers=["*"],
    name="public",
)
PARTNERS = CORSPolicy(
    allow_origins=["https://partner.example.org:8443", "http://[::1]:*", "http://127.0.0.1:3000"],
    allow_methods=["*"],
    allow_headers=["*", "X-Custom"],
    allow_credentials=True,
    allow_private_network=True,
    dangerously_allow_insecure_origins=True,
    max_request_header_names=4,
    max_request_headers_length=64,
    name="partners",
)

ROUTES: dict[str, CORSPolicy | None] = {
    "/api": API,
    "/api/internal": None,
    "/public": PUBLIC,
    "/partners": PARTNERS,
    "/café": API,
}
