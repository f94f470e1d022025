"""Schemathesis hooks for `scripts/fuzz.py`: what the fuzzer cannot know, said once, narrowly.

- An `Idempotency-Key` promises one key, one request. The fuzzer repeats well-formed keys ("0")
  across different requests, which the server rightly refuses (422, as the IETF draft asks).
  Each well-formed key is made unique per call, so the checks judge the request, not the
  reuse (reuse is tested in tests/api/idempotency.rs). Malformed keys are kept, so the
  header's format is still fuzzed.
- Failures that come from the data, the clock or the key, not the contract, are dropped, and
  only these: a `cursor` the API never issued (cursors are opaque, any string is
  schema-valid); a customer or agent id that is not in the seeded store (the document's own
  examples name such ids), one the rule needs a phone number or email address of, or a
  disabled agent; an approval of a stored draft whose placeholders have no value, or whose
  last edits do not fit the stored action's type (an email has no script); a
  proposal without `agent_id` from a key bound to no agent (an agent's key implies it); a
  time the rules compare with now or with the action's expiry (`until`, `expires_at`,
  `not_before`: time moves); and a path id the stateful phase filled with "None" from a null
  field of a response it linked.
"""

import json
import re
import uuid

import schemathesis

WELL_FORMED_KEY = re.compile(r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$")


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and WELL_FORMED_KEY.match(key) and len(key) <= 255:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def _problem(response):
    try:
        return json.loads(response.content)
    except (ValueError, TypeError, AttributeError):
        return {}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    problem = _problem(response)
    errors = problem.get("errors") or []
    for error in errors:
        field, message = error.get("field"), error.get("message", "")
        if field == "cursor" and message == "not a cursor returned by this API":
            return False
        if field in ("customer_id", "agent_id") and message.startswith("no such"):
            return False
        if field == "customer_id" and message.startswith("the customer has no"):
            return False
        if field == "agent_id" and message.startswith("this agent is disabled"):
            return False
        if field in ("subject", "body", "script") and "has no value; fill it in" in message:
            return False
        # Last edits on approval fit the stored action's type (an email has no script).
        if field in ("subject", "body", "script") and (
            message == "only voice outreach has a script" or message.startswith("a call has no")
        ):
            return False
        if field == "agent_id" and message.startswith("say which agent proposes"):
            return False
        if field in ("until", "duration", "expires_at", "not_before") and (
            "in the future" in message
            or "within 90 days" in message
            or "earlier than expires_at" in message
            or message.startswith("the action expires at")
        ):
            return False
        if field == "id" and "None" in str(case.path_parameters or {}):
            return False
    return True
