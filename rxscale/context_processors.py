"""Whether this installation tells RxScale what staff do (texts differ per mode)."""

from rxscale.client import api_configured


def rxscale_link(request) -> dict:
    return {"rxscale_connected": api_configured()}
