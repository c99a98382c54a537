//! The OpenAPI 3.1 document of the service. A test checks every route and every field the
//! service answers with against it.

use serde_json::{Value, json};

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

fn field_check() -> Value {
    json!({
        "type": "object",
        "required": ["valid"],
        "properties": {
            "valid": { "type": "boolean" },
            "reason": { "type": "string", "description": "why the field is invalid" },
            "masked": { "type": "string" },
            "kind": { "type": "string" },
            "digits": { "type": "integer" },
            "birthday": { "type": "string", "format": "date" },
            "age": nullable("integer"),
            "sex": { "type": "string" },
            "region": {
                "type": ["object", "null"],
                "properties": {
                    "code": { "type": "string" },
                    "province": nullable("string"),
                    "prefecture": nullable("string"),
                    "county": nullable("string"),
                    "current_name": nullable("string"),
                    "status": { "type": "string", "enum": ["current", "abolished", "unknown"] },
                    "abolished_in": nullable("integer")
                }
            },
            "characters": { "type": "integer" },
            "transliterated": { "type": "boolean" },
            "segment": { "type": "string" },
            "original_carrier": { "type": "string" },
            "source": { "type": "string", "enum": ["url", "base64"] },
            "base64_length": { "type": "integer" },
            "warnings": { "type": "array", "items": { "type": "string" } }
        }
    })
}

fn route_fields() -> Value {
    // A photo given and the photo sent (`fit_photo`): the same shape, the sent one's quality.
    let fitted_shape = json!({
        "type": "object",
        "properties": {
            "format": { "type": "string" },
            "width": { "type": "integer" },
            "height": { "type": "integer" },
            "base64_length": { "type": "integer" }
        }
    });
    let mut fitted_to = fitted_shape.clone();
    fitted_to["properties"]["quality"] = json!({ "type": ["integer", "null"] });
    json!({
        "route": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "provider": { "type": "string" },
                    "outcome": { "type": "string" },
                    "billing": { "type": "string", "enum": ["billed", "not_billed", "unknown"] }
                }
            }
        },
        "billed_calls": { "type": "integer" },
        "maybe_billed_calls": { "type": "integer" },
        "cost_yuan": { "type": ["string", "null"], "description": "e.g. \"0.070\"; null when a billed provider has no price" },
        "reused": { "type": "boolean", "description": "answered from the ledger: nothing paid" },
        "photo_fitted": {
            "type": "object",
            "description": "present when the photo was fitted (fit_photo): what was given and what was sent",
            "properties": { "from": fitted_shape, "to": fitted_to }
        },
        "input": {
            "type": "object",
            "properties": {
                "id": { "type": "string" },
                "name": { "type": "string" },
                "mobile": { "type": "string" }
            }
        },
        "ledger": {
            "type": "object",
            "description": "present only when a call was made and paid for but the ledger could not record it (even when tried again): the answer stands, and the ledger does not protect a retry from paying again",
            "properties": {
                "recorded": { "type": "boolean", "const": false },
                "error": { "type": "string" }
            }
        }
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": { "type": "string" },
            "detail": { "type": "string" },
            "fields": { "type": "object", "additionalProperties": { "type": "string" } },
            "resets_at": { "type": "string", "format": "date-time" }
        }
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

/// The document.
#[allow(clippy::too_many_lines)] // one literal document
pub(crate) fn document() -> Value {
    let mut verify_ok = json!({
        "type": "object",
        "properties": {
            "verdict": { "type": "string", "enum": ["match", "mismatch", "unverifiable"] },
            "reason": { "type": ["string", "null"], "enum": ["no_record", "no_photo_on_file", "inconclusive", null] },
            "face": { "type": ["string", "null"], "enum": ["same", "probably_same", "different", null] },
            "details": {
                "type": "object",
                "properties": {
                    "sex": nullable("string"),
                    "region": nullable("string"),
                    "carrier": nullable("string")
                }
            },
            "provider": { "type": "string" },
            "raw_code": nullable("string"),
            "vendor_request_id": nullable("string"),
            "gateway_request_id": nullable("string"),
            "notes": { "type": "array", "items": { "type": "string" } }
        }
    });
    let mut verify_error = json!({
        "type": "object",
        "properties": {
            "error": { "type": "string" },
            "retry": { "type": "string", "enum": ["never", "safe", "may_charge_again"] },
            "billing": { "type": "string", "enum": ["billed", "not_billed", "unknown"] },
            "provider": nullable("string"),
            "gateway_request_id": nullable("string"),
            "resets_at": { "type": "string", "format": "date-time", "description": "when a spent daily budget resets (429)" }
        }
    });
    for schema in [&mut verify_ok, &mut verify_error] {
        if let (Some(Value::Object(props)), Value::Object(more)) =
            (schema.get_mut("properties"), route_fields())
        {
            props.extend(more);
        }
    }
    let bearer = json!([{ "bearer": [] }]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "idcheck",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Chinese real-name verification: free offline validation, paid verification through a fallback router, every paid call recorded once in a shared ledger."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "ValidateRequest": {
                    "type": "object",
                    "description": "At least one field. Any text is answered (200) with what it says or why it is invalid; null is the same as leaving a field out.",
                    "minProperties": 1,
                    "additionalProperties": false,
                    "properties": {
                        "id": nullable("string"),
                        "name": nullable("string"),
                        "mobile": nullable("string"),
                        "photo": { "type": ["string", "null"], "description": "base64, or an http(s) URL" }
                    }
                },
                "ValidateResponse": {
                    "type": "object",
                    "properties": {
                        "id": field_check(),
                        "name": field_check(),
                        "mobile": field_check(),
                        "photo": field_check()
                    }
                },
                "VerifyRequest": {
                    "type": "object",
                    "description": "Fields the check does not use are ignored (a mobile for an identity check). Text that is not a valid ID number, name, mobile or photo is 422, with each field's reason, and nothing is sent: the checks (a check character, a calendar date) are more than a schema can say.",
                    "required": ["check", "id", "name"],
                    "additionalProperties": false,
                    "examples": [{ "check": "identity", "id": "11010519491231002X", "name": "张三" }],
                    "properties": {
                        "check": { "type": "string", "enum": ["identity", "mobile", "face"] },
                        "id": { "type": "string", "minLength": 1 },
                        "name": { "type": "string", "minLength": 1 },
                        "mobile": { "type": ["string", "null"], "description": "required for a mobile check" },
                        "photo": { "type": ["string", "null"], "description": "required for a face check: base64 (at most 102,400 characters), or an http(s) URL" },
                        "fresh": { "type": "boolean", "description": "do not reuse answers the ledger holds" },
                        "fit_photo": { "type": "boolean", "description": "a face check's base64 photo over the vendor's limit is fitted to it (re-encoded as a JPEG, made smaller only as far as needed) instead of refused; the answer's photo_fitted says what was sent. Needs a service started with --fit-photos (otherwise 422); /v1/verify bodies may then be up to 12 MiB" }
                    }
                },
                "VerifyResponse": verify_ok,
                "VerifyError": verify_error,
                "Error": error_schema(),
                "Status": {
                    "type": "object",
                    "properties": { "status": { "type": "string" }, "error": { "type": "string" } }
                }
            }
        },
        "paths": {
            "/v1/validate": {
                "post": {
                    "summary": "What each field says, or why it is invalid. Free.",
                    "security": bearer,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ValidateRequest" } } } },
                    "responses": {
                        "200": json_response("per field: valid, or the reason", "ValidateResponse"),
                        "400": json_response("not the expected JSON (malformed, a field of the wrong type, an unknown field)", "Error"),
                        "401": json_response("missing or unknown bearer token (checked before the body is read)", "Error"),
                        "408": json_response("the body did not arrive within the body timeout", "Error"),
                        "413": json_response("body over the cap", "Error"),
                        "422": json_response("no field given", "Error")
                    }
                }
            },
            "/v1/verify": {
                "post": {
                    "summary": "One paid verification through the router, recorded in the ledger.",
                    "security": bearer,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/VerifyRequest" } } } },
                    "responses": {
                        "200": json_response("the verdict", "VerifyResponse"),
                        "400": json_response("not the expected JSON (malformed, a missing field, a field of the wrong type, an unknown field)", "Error"),
                        "401": json_response("missing or unknown bearer token (checked before the body is read)", "Error"),
                        "403": json_response("the client may not ask for this check", "Error"),
                        "408": json_response("the body did not arrive within the body timeout", "Error"),
                        "409": json_response("an earlier call is unresolved or failed billed: not sent again", "VerifyError"),
                        "413": json_response("body over the cap", "Error"),
                        "422": json_response("invalid input (each field's reason): nothing was sent", "Error"),
                        "501": json_response("no vendor the service was started with performs this check; the message names the --provider that would", "VerifyError"),
                        "429": json_response("the client's daily budget has no room for the call, or the calls-per-second limit is queued past the deadline: nothing was sent", "VerifyError"),
                        "502": json_response("the vendor or gateway failed", "VerifyError"),
                        "503": json_response("the ledger is unavailable, or the request is in flight elsewhere", "VerifyError"),
                        "504": json_response("past the request deadline (the call is still recorded)", "Error")
                    }
                }
            },
            "/healthz": { "get": { "summary": "Alive.", "responses": { "200": json_response("alive", "Status") } } },
            "/readyz": { "get": { "summary": "The ledger answers.", "responses": {
                "200": json_response("ready", "Status"),
                "503": json_response("the ledger is unreachable", "Status")
            } } },
            "/metrics": { "get": { "summary": "Prometheus text.", "responses": { "200": { "description": "metrics", "content": { "text/plain": {} } } } } },
            "/openapi.json": { "get": { "summary": "This document.", "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": {} } } } } }
        }
    })
}
