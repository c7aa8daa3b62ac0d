"""Where each platform's callback events go with this deployment's settings: the URL its
registry entry writes, or the one held by the app setting it names (``url_setting``)."""

from __future__ import annotations

from collections.abc import Iterable

from config.settings import OutboundSettings
from domain.callbacks import BadCallbackUrl, NoCallback, SendTo, destination
from domain.platforms import PlatformDefinition


def destination_of(
    platform: PlatformDefinition, settings: OutboundSettings
) -> SendTo | NoCallback | BadCallbackUrl:
    """`domain.callbacks.destination` of the platform, its ``url_setting`` read now."""
    callback = platform.callback
    setting = callback.url_setting if callback is not None else None
    return destination(callback, settings.callback_url(setting) if setting else None)


def invalid_callback_urls(platforms: Iterable[PlatformDefinition]) -> dict[str, BadCallbackUrl]:
    """The platforms whose callback URL setting holds no callback URL (their events are not
    recorded), by platform id; inactive ones too, since their assets still change."""
    settings = OutboundSettings.from_env()
    found = {}
    for p in platforms:
        if isinstance(where := destination_of(p, settings), BadCallbackUrl):
            found[p.platform_id] = where
    return found
