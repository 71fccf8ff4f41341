"""The rxscale app's models.

The shared rate limiter's models live in rxscale/ratelimit.py beside the code that uses them;
this import is how Django finds them. Keeping them out of this file lets other rxscale models
(and their migrations) be added here without touching the limiter's lines.
"""

from rxscale.ratelimit import RateLimitLock, RateLimitSlot  # noqa: F401 (registers the models)
