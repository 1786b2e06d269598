"""The Flask layer: :class:`EdgeCORS`, :func:`cross_origin` and :func:`no_cors`.

The only part of the package that imports Flask.  ``init_app`` installs the core
:class:`~flask_edgecors.CORSMiddleware` on ``app.wsgi_app`` with a resolver that reads Flask's
own URL map (:mod:`.resolver`); decorators only attach a marker to a view (:mod:`.decorators`);
one function applies the precedence of policies (:mod:`.precedence`); ``flask edgecors``
shows and checks the result (:mod:`.cli`, :mod:`.checks`).
"""

from __future__ import annotations

from .decorators import cross_origin, no_cors
from .extension import EdgeCORS

__all__ = ["EdgeCORS", "cross_origin", "no_cors"]
