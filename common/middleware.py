"""Responses that may carry patient data are never stored by browsers or proxies."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


class PrivateNoStoreMiddleware:
    """Mark every response to a logged-in user `private, no-store` (GDPR Art. 9 data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # A view that set its own policy (the prescription PDF: exactly `no-store`) keeps it.
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
