"""Course-run sync to Richie: signature, HTTP POST. No edx-platform import here.

The payload (what a run says) is built in ``richie_payload``; ``course_run``, ``iso`` and
``resource_link`` are re-exported here so callers of ``sync.course_run`` keep working.

Richie's endpoint ``<richie>/api/v1.0/course-runs-sync/`` takes one course run (or a list),
signed with ``Authorization: SIG-HMAC-SHA256 <hex>`` where hex is the HMAC-SHA256 of the raw
body under one of ``RICHIE_COURSE_RUN_SYNC_SECRETS``. A failed POST is one log line, never
an exception: publishing a course must not fail because a catalog is down.
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

from .richie_payload import course_run, for_catalog, iso, resource_link

__all__ = ["course_run", "iso", "post", "resource_link", "send", "signature"]

log = logging.getLogger(__name__)


def signature(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"SIG-HMAC-SHA256 {digest}"


def post(target: Mapping[str, Any], payload: Any) -> bool:
    """POST one run (or a list) to one catalog; True when it answered 2xx."""
    # Each catalog's own language codes (richie_payload owns what a run says).
    payload = for_catalog(target, payload)
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 (the operator's configured http(s) URL)
        target["url"],
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": signature(body, target["secret"]),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=target["timeout"]) as response:  # noqa: S310
            response.read()
            return True
    except urllib.error.HTTPError as exc:
        problem = f"answered HTTP {exc.code}"
    except TimeoutError:
        problem = f"did not answer within {target['timeout']} s"
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            problem = f"did not answer within {target['timeout']} s"
        elif isinstance(reason, ConnectionRefusedError):
            problem = "refused the connection"
        else:
            problem = f"could not be reached ({reason})"
    except OSError as exc:
        problem = f"could not be reached ({exc})"
    count = len(payload) if isinstance(payload, list) else 1
    log.warning(
        "lmsbridge: course-run sync to %s failed: %s %s; %d course run(s) not sent",
        target["app"],
        target["url"],
        problem,
        count,
    )
    return False


def send(targets: Iterable[Mapping[str, Any]], payload: Any) -> int:
    """Send to every catalog; return how many failed (each failure is logged)."""
    return sum(not post(target, payload) for target in targets)
