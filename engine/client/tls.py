"""One TLS context for every HTTP client a run process creates.

httpx builds a new `ssl.SSLContext` (loading the CA bundle, ~17 ms) for each client,
even one that only ever speaks plain HTTP to 127.0.0.1; a run creates several. The run
host builds this one while it warms up, so every forked run shares it.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def freeze_environment_proxies() -> None:
    """Read the proxy settings of the environment once for every client this process (and
    every run forked from it, which inherits the same environment) creates: httpx walks
    the whole environment for `*_proxy` variables in each client's constructor, ~1 ms
    apiece (several at load) and four clients per run."""
    import httpx._client

    lookup = httpx._client.get_environment_proxies
    if not isinstance(lookup, functools._lru_cache_wrapper):
        httpx._client.get_environment_proxies = functools.lru_cache(maxsize=1)(lookup)
