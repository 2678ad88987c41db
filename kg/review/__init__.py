"""`kg review`: review a draft record file in the browser against its source text.

Modules: `session` (the items of a draft and the reviewer's actions on them), `yamledit` (changing the file's
text in place), `check` (each change checked as `kg build` would), `server` (the page and its JSON API),
`static/` (the page, offline: no CDN).
"""

from .session import Conflict, Refused, Review, load_review

__all__ = ["Conflict", "Refused", "Review", "load_review"]
