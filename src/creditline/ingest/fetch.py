"""HTTP GET for opt-out signals, with a file cache: the only network code of creditline.

Why the standard library (``urllib.request``) and not httpx: creditline makes a few plain GET
requests per site (robots.txt, ai.txt, tdmrep.json, maybe the page), one at a time; urllib does
that with certificate checks, ``*_proxy`` environment variables and redirects, and adds no
dependency. What it lacks is added here: a redirect limit, a size limit, an overall deadline,
a cache, and errors turned into data.

* **Errors are data.** :meth:`Fetcher.get` never raises for a URL: DNS failures, refused
  connections, timeouts, TLS errors, redirect loops and offline cache misses come back as a
  :class:`Response` with ``error`` set. An HTTP error status (404, 503) is a response, not an
  error. ``KeyboardInterrupt`` propagates.
* **Limits.** ``timeout`` (default 10 s) bounds connecting and every read; a whole response may
  take at most three times as long. At most ``max_bytes`` (default 1 MB) of a body are read: the
  rest is dropped and ``truncated`` set. At most 5 redirects are followed, only to http(s) URLs.
* **Cache.** ``$CREDITLINE_CACHE_DIR``, else ``$CREDITLINE_CACHE/http``, else
  ``$XDG_CACHE_HOME/creditline/http`` (``~/.cache/creditline/http``). One JSON file per URL
  (named by its SHA-256) holds the status, headers, body (base64), final URL and fetch time;
  it is written to a temporary file and renamed, so readers never see half a file. Responses
  younger than ``ttl`` (default one day) are served from it; 5xx responses and failures are not
  stored. ``offline=True`` serves the cache whatever its age and reports a miss as an error.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from creditline import __version__

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_TTL = 86_400.0
MAX_REDIRECTS = 5
USER_AGENT = f"creditline/{__version__} (+opt-out check)"
CACHE_FORMAT = 1
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Response:
    """One GET: ``status`` None when no HTTP response arrived (then ``error`` says why)."""

    url: str
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    final_url: str = ""
    truncated: bool = False
    from_cache: bool = False
    fetched_at: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def text(self) -> str:
        """The body decoded with the charset of its Content-Type (UTF-8 by default, bad bytes replaced)."""
        message = Message()
        message["content-type"] = self.header("content-type") or "text/plain"
        charset = message.get_content_charset() or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def default_cache_dir() -> Path:
    if os.environ.get("CREDITLINE_CACHE_DIR"):
        return Path(os.environ["CREDITLINE_CACHE_DIR"])
    if os.environ.get("CREDITLINE_CACHE"):
        return Path(os.environ["CREDITLINE_CACHE"]) / "http"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "creditline" / "http"


class _LimitedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows at most MAX_REDIRECTS redirects in all (urllib itself counts distinct URLs, so a
    loop between two URLs would run 8 times), and only to http(s) URLs."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, f"redirect to a non-HTTP URL {newurl}", headers, fp)
        count = getattr(req, "creditline_redirects", 0) + 1
        if count > MAX_REDIRECTS:
            raise urllib.error.HTTPError(newurl, code, f"more than {MAX_REDIRECTS} redirects", headers, fp)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.creditline_redirects = count  # type: ignore[attr-defined]
        return new


class Fetcher:
    """GETs URLs through the cache; one instance may serve a whole run (it holds no connection)."""

    def __init__(self, *, cache_dir: str | os.PathLike[str] | None = None, offline: bool = False,
                 timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES, ttl: float = DEFAULT_TTL,
                 user_agent: str = USER_AGENT, clock: Callable[[], float] = time.time) -> None:
        if timeout <= 0 or max_bytes <= 0:
            raise ValueError("timeout and max_bytes must be positive")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.offline = offline
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.user_agent = user_agent
        self.clock = clock
        self._opener = urllib.request.build_opener(_LimitedRedirects())

    # --- public -----------------------------------------------------------------------------

    def get(self, url: str) -> Response:
        """The response for ``url``, from the cache when fresh (any age when offline)."""
        cached = self._read_cache(url)
        if cached is not None and (self.offline or self.clock() - cached.fetched_at < self.ttl):
            return cached
        if self.offline:
            return Response(url, error="offline: not in the cache (run once without --offline to fill it)")
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return Response(url, error="unsupported URL scheme (only http and https are fetched)")
        response = self._fetch(url)
        if response.status is not None and response.status < 500:
            self._write_cache(response)
        return response

    # --- network ----------------------------------------------------------------------------

    def _fetch(self, url: str) -> Response:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
        deadline = time.monotonic() + 3 * self.timeout
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                return self._response(url, resp.status, resp.headers, resp, resp.geturl(), deadline)
        except urllib.error.HTTPError as err:
            if 300 <= err.code < 400:
                return Response(url, error=f"redirect failed: {err.reason}")
            try:
                return self._response(url, err.code, err.headers, err, err.geturl() or url, deadline)
            finally:
                err.close()
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, TimeoutError):
                return Response(url, error=f"timed out after {self.timeout:g} s")
            return Response(url, error=f"cannot connect: {reason}")
        except TimeoutError:
            return Response(url, error=f"timed out after {self.timeout:g} s")
        except _Deadline:
            return Response(url, error=f"too slow: no complete response within {3 * self.timeout:g} s")
        except (OSError, ValueError, http.client.HTTPException) as err:
            return Response(url, error=f"request failed: {type(err).__name__}: {err}")

    def _response(self, url: str, status: int, headers: Message | None, stream: Any, final_url: str,
                  deadline: float) -> Response:
        body, truncated = self._read_limited(stream, deadline)
        pairs = tuple((k, v) for k, v in (headers.items() if headers is not None else ()))
        return Response(url, status, pairs, body, final_url, truncated, False, self.clock())

    def _read_limited(self, stream: Any, deadline: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        if stream is None or getattr(stream, "fp", True) is None:
            return b"", False
        while size <= self.max_bytes:
            if time.monotonic() > deadline:
                raise _Deadline()
            chunk = stream.read(min(_CHUNK, self.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        body = b"".join(chunks)
        return body[: self.max_bytes], size > self.max_bytes

    # --- cache ------------------------------------------------------------------------------

    def _path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.json"

    def _read_cache(self, url: str) -> Response | None:
        path = self._path(url)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != CACHE_FORMAT or data.get("url") != url:
                return None
            return Response(url, int(data["status"]), tuple((str(k), str(v)) for k, v in data["headers"]),
                            base64.b64decode(data["body"]), data.get("final_url", url), bool(data.get("truncated")),
                            True, float(data["fetched_at"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.debug("ignoring unreadable cache entry %s: %s", path, err)
            return None

    def _write_cache(self, response: Response) -> None:
        path = self._path(response.url)
        data = {"format": CACHE_FORMAT, "url": response.url, "final_url": response.final_url,
                "status": response.status, "headers": [list(h) for h in response.headers],
                "body": base64.b64encode(response.body).decode("ascii"), "truncated": response.truncated,
                "fetched_at": response.fetched_at}
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=".tmp-",
                                             suffix=".json", delete=False) as fh:
                tmp = fh.name
                json.dump(data, fh)
            os.replace(tmp, path)
            tmp = None
        except OSError as err:
            log.warning("cannot write the HTTP cache %s: %s", path, err)
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


class _Deadline(Exception):
    """The response took longer than the overall deadline."""
