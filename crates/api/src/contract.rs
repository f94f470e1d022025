//! The rules the handlers' annotations cannot state, written into the served OpenAPI document
//! so that it says exactly what the server accepts (a client generated from it, or a fuzzer,
//! sends only what the server takes): header formats, which fields each kind of action needs,
//! a snooze's one-of, a rejection's note, bulk rules per operation, the event stream's events.

use inbox_domain::sort::SortField;
use serde_json::{json, Value};

/// `Idempotency-Key`: 1 to 255 visible ASCII characters (HTTP strips spaces at either end).
const IDEMPOTENCY_KEY: &str = "^[\\x21-\\x7E]([\\x20-\\x7E]*[\\x21-\\x7E])?$";
/// `If-Match`: a version, bare or quoted, optionally weak (`3`, `"3"`, `W/"3"`).
const IF_MATCH: &str = "^(W/)?(\"[0-9]{1,9}\"|[0-9]{1,9})$";
/// Text with something besides white space in it.
const NOT_BLANK: &str = "\\S";
/// An http:// or https:// URL with a host; spaces around it are trimmed, inside it none, nor
/// control characters.
const HTTP_URL: &str =
    "^\\s*https?://[^/?#\\s\\x00-\\x1F\\x7F-\\x9F]+[^\\s\\x00-\\x1F\\x7F-\\x9F]*\\s*$";
/// One line of visible text (no control characters, no bidi overrides) with something in it.
const ONE_LINE: &str = "^[^\\x00-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069]*[^\\s\\x00-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069][^\\x00-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069]*$";

/// One line of visible text, possibly empty.
const ONE_LINE_OR_EMPTY: &str = "^[^\\x00-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069]*$";

/// Adds the rules to `document` (the served JSON).
pub fn tighten(document: &mut Value) {
    for operation in operations(document) {
        let parameters = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut);
        for parameter in parameters.into_iter().flatten() {
            match (parameter["in"].as_str(), parameter["name"].as_str()) {
                (Some("header"), Some("Idempotency-Key")) => {
                    parameter["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY});
                }
                (Some("header"), Some("If-Match")) => {
                    parameter["schema"] = json!({"type": "string", "pattern": IF_MATCH});
                }
                (
                    Some("query"),
                    Some("created_from" | "created_to" | "expires_from" | "expires_to"),
                ) => {
                    parameter["schema"] = json!({"anyOf": [
                        {"type": "string", "format": "date-time"},
                        {"type": "string", "format": "date"},
                    ]});
                }
                (Some("query"), Some("sort")) => {
                    let columns: Vec<String> = SortField::ALL
                        .iter()
                        .flat_map(|field| {
                            [field.as_str().to_owned(), format!("-{}", field.as_str())]
                        })
                        .collect();
                    parameter["schema"] = json!({"type": "string", "enum": columns});
                }
                (Some("query"), Some("format")) => {
                    parameter["schema"] = json!({"type": "string", "enum": ["csv", "ndjson"]});
                }
                (Some("query"), Some("period")) => {
                    parameter["schema"] =
                        json!({"type": "integer", "enum": inbox_domain::insights::PERIODS});
                }
                // An empty value is refused (`?agent_id=` is not "no filter").
                (Some("query"), Some(_)) => {
                    let schema = &mut parameter["schema"];
                    if schema["type"] == "string" && schema.get("enum").is_none() {
                        schema["minLength"] = json!(1);
                    }
                    if schema["type"] == "array" && schema["items"]["type"] == "string" {
                        schema["items"]["minLength"] = json!(1);
                    }
                }
                _ => {}
            }
        }
    }
    let schemas = &mut document["components"]["schemas"];
    propose_action(&mut schemas["ProposeAction"]);
    schemas["Trigger"]["properties"]["summary"]["pattern"] = json!(NOT_BLANK);
    schemas["Trigger"]["properties"]["data"]["type"] = json!(["object", "null"]);
    schemas["ReportOutcome"]["properties"]["data"]["type"] = json!(["object", "null"]);
    let factor = &mut schemas["ConfidenceFactor"]["properties"];
    factor["label"]["pattern"] = json!(ONE_LINE);
    factor["label"]["maxLength"] = json!(200);
    factor["impact"]["minimum"] = json!(-100);
    factor["impact"]["maximum"] = json!(100);
    schemas["Trigger"]["properties"]["summary"]["maxLength"] = json!(2_000);
    let agent = &mut schemas["UpdateAgent"]["properties"];
    agent["auto_execute_min_confidence"]["minimum"] = json!(0);
    agent["auto_execute_min_confidence"]["maximum"] = json!(100);
    agent["default_expiry_seconds"]["minimum"] = json!(3_600);
    agent["default_expiry_seconds"]["maximum"] = json!(7_776_000);
    schemas["LinkResponse"]["properties"]["conversation_id"]["pattern"] = json!(ONE_LINE);
    for draft in ["ApproveAction", "EditDraft"] {
        schemas[draft]["properties"]["subject"]["pattern"] = json!(ONE_LINE);
    }
    // A draft being written may be blank: its preview says so.
    schemas["PreviewDraft"]["properties"]["subject"]["pattern"] = json!(ONE_LINE_OR_EMPTY);
    schemas["SnoozeAction"]["oneOf"] = snooze_one_of();
    let (other, note) = other_needs_a_note();
    schemas["RejectAction"]["if"] = other;
    schemas["RejectAction"]["then"] = note;
    bulk_request(&mut schemas["BulkRequest"]);
    // A check's verdict is a person's: `pending` is where an unchecked one stands.
    schemas["AuditCheck"]["properties"]["verdict"] =
        json!({"type": "string", "enum": ["ok", "flagged"]});
    schemas["CreateApiKey"]["properties"]["scopes"]["minItems"] = json!(1);
    schemas["CreateApiKey"]["properties"]["name"]["pattern"] = json!(ONE_LINE);
    schemas["CreateApiKey"]["properties"]["name"]["maxLength"] = json!(100);
    // Spaces around it are trimmed; inside it none, nor control characters.
    schemas["CreateWebhookEndpoint"]["properties"]["url"]["pattern"] = json!(HTTP_URL);
    schemas["ProposeAction"]["properties"]["precondition_url"]["pattern"] = json!(HTTP_URL);
    event_stream(document);
}

/// Every operation of the document.
fn operations(document: &mut Value) -> impl Iterator<Item = &mut Value> {
    document["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .flat_map(|item| {
            item.as_object_mut()
                .into_iter()
                .flat_map(|item| item.values_mut())
        })
}

/// What each kind of action needs and must leave out.
fn propose_action(schema: &mut Value) {
    let absent = json!({"type": "null"});
    let text = json!({"type": "string", "pattern": NOT_BLANK});
    let kind = |action_type: &str, rules: Value| json!({"if": {"properties": {"action_type": {"const": action_type}}, "required": ["action_type"]}, "then": rules});
    schema["allOf"] = json!([
        kind(
            "draft_message",
            json!({
                "required": ["channel", "subject", "body"],
                "properties": {"channel": {"const": "email"}, "subject": {"type": "string", "pattern": ONE_LINE}, "body": text,
                    "script": absent, "tone": absent, "estimated_duration_seconds": absent},
            })
        ),
        kind(
            "voice_outreach",
            json!({
                "required": ["channel", "script"],
                "properties": {"channel": {"const": "voice"}, "script": text, "subject": {"type": ["string", "null"], "pattern": ONE_LINE_OR_EMPTY}},
            })
        ),
        kind(
            "internal_note",
            json!({
                "required": ["subject"],
                "properties": {"channel": absent, "subject": {"type": "string", "pattern": ONE_LINE},
                    "script": absent, "tone": absent, "estimated_duration_seconds": absent},
            })
        ),
        kind(
            "task_reminder",
            json!({
                "required": ["subject"],
                "properties": {"channel": absent, "subject": {"type": "string", "pattern": ONE_LINE},
                    "script": absent, "tone": absent, "estimated_duration_seconds": absent},
            })
        ),
    ]);
    schema["properties"]["variables"]["propertyNames"] =
        json!({"pattern": "^[A-Za-z0-9_]+$", "maxLength": 64});
    let properties = &mut schema["properties"];
    properties["external_id"]["pattern"] = json!(NOT_BLANK);
    properties["external_id"]["maxLength"] = json!(200);
    properties["subject"]["maxLength"] = json!(500);
    properties["body"]["maxLength"] = json!(100_000);
    properties["script"]["maxLength"] = json!(100_000);
    properties["variables"]["maxProperties"] = json!(100);
    properties["variables"]["additionalProperties"] =
        json!({"type": "string", "maxLength": 10_000});
    properties["confidence_factors"]["maxItems"] = json!(20);
    schema["properties"]["estimated_duration_seconds"]["minimum"] = json!(1);
    schema["properties"]["estimated_duration_seconds"]["maximum"] = json!(3600);
}

/// What each bulk operation takes.
fn bulk_request(schema: &mut Value) {
    schema["properties"]["ids"]["minItems"] = json!(1);
    schema["properties"]["ids"]["maxItems"] = json!(inbox_domain::review::MAX_BULK_IDS);
    let absent = json!({"type": "null"});
    // One shape per operation (their `op` values tell them apart).
    let op = |name: &str, mut rules: Value| {
        rules["properties"]["op"] = json!({"const": name});
        rules
    };
    let (other, note) = other_needs_a_note();
    let nothing_else =
        json!({"reason": absent, "note": absent, "duration": absent, "until": absent});
    schema["oneOf"] = json!([
        op("approve", json!({"properties": nothing_else})),
        op("undo", json!({"properties": nothing_else})),
        op(
            "reject",
            json!({
                "required": ["reason"],
                "properties": {"reason": {"$ref": "#/components/schemas/RejectionReason"}, "duration": absent, "until": absent},
                "if": other,
                "then": note,
            })
        ),
        op(
            "snooze",
            json!({"properties": {"reason": absent}, "oneOf": snooze_one_of()})
        ),
    ]);
}

/// A snooze takes a preset `duration` or a custom `until`, exactly one of them.
fn snooze_one_of() -> Value {
    json!([
        {"required": ["duration"], "properties": {"duration": {"$ref": "#/components/schemas/SnoozeDuration"}, "until": {"type": "null"}}},
        {"required": ["until"], "properties": {"until": {"type": "string", "format": "date-time"}, "duration": {"type": "null"}}},
    ])
}

/// A rejection for `other` reason needs a note: the `if` and the `then` of that rule.
fn other_needs_a_note() -> (Value, Value) {
    (
        json!({"properties": {"reason": {"const": "other"}}}),
        json!({"required": ["note"], "properties": {"note": {"type": "string", "pattern": NOT_BLANK}}}),
    )
}

/// The event stream, as OpenAPI 3.1 describes one: each event an object with its name and
/// JSON data.
fn event_stream(document: &mut Value) {
    let stream = document
        .pointer_mut("/paths/~1api~1v1~1events/get/responses/200/content/text~1event-stream");
    if let Some(stream) = stream {
        stream["schema"] = json!({
            "type": "object",
            "required": ["data"],
            "properties": {
                "event": {"type": "string", "enum": ["action", "metrics", "presence", "resync"]},
                "data": {"type": "string", "contentMediaType": "application/json"},
            },
        });
    }
}
