//! Strict query strings: `AppQuery<T>` parses `?a=b&c=d` into `T` and answers a clear
//! `400 VALIDATION_FAILED` naming the parameter at fault (missing, unknown, repeated or malformed) with a
//! message a person understands, instead of axum's plain-text rejection. [`TimeParam`] is the one type for
//! time-range parameters: an IST day (`2026-11-25`) or an RFC 3339 instant.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use tradesense_domain::kernel::time::TimeBound;

use crate::ApiError;

/// The longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// A query string parsed into `T` (use `#[serde(deny_unknown_fields)]` on `T` to refuse extras).
#[derive(Debug, Clone)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(AppQuery)
    }
}

/// Parses a raw query string into `T`, naming the offending parameter on failure.
///
/// # Errors
/// `400 VALIDATION_FAILED` whose detail names the parameter (or `query` for the string as a whole).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::invalid_field(
            "query",
            format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let (field, message) = explain(&path, &e.into_inner().to_string());
        ApiError::invalid_field(field, message)
    })
}

/// The name between the first pair of backticks of a serde message.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Which parameter a serde error is about, and what to tell a person about it.
fn explain(path: &str, message: &str) -> (String, String) {
    let named = |m: &str| quoted(m).unwrap_or("query").to_owned();
    if message.starts_with("missing field") {
        return (named(message), "is required".to_owned());
    }
    if message.starts_with("unknown field") {
        let expected = message
            .split_once("expected ")
            .map(|(_, list)| {
                format!(
                    "; this route takes {}",
                    list.replace('`', "").replace("one of ", "")
                )
            })
            .unwrap_or_default();
        return (
            named(message),
            format!("is not a parameter of this route{expected}"),
        );
    }
    if message.starts_with("duplicate field") {
        return (named(message), "is given more than once".to_owned());
    }
    let field = if path == "." { "query" } else { path }.to_owned();
    let message = match message {
        "cannot parse integer from empty string" => "is empty; give a whole number".to_owned(),
        "invalid digit found in string" => "must be a whole number".to_owned(),
        "number too large to fit in target type" | "number too small to fit in target type" => {
            "is out of range".to_owned()
        }
        m if m.starts_with("unknown variant") => {
            let value = quoted(m).unwrap_or_default();
            let expected = m.split_once("expected ").map_or("", |(_, list)| list);
            let expected = expected.replace('`', "").replace("one of ", "");
            format!("{value:?} is not one of {expected}")
        }
        m => m.to_owned(),
    };
    (field, message)
}

/// A time-range query parameter: an IST day (`2026-11-25`, the whole day) or an RFC 3339 instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeParam(pub TimeBound);

impl TimeParam {
    /// Where a range starting here starts (a day's IST midnight, or the instant).
    pub fn as_start(self) -> DateTime<Utc> {
        self.0.as_start()
    }

    /// Where a range ending here ends, exclusive (after the whole day, or at the instant).
    pub fn as_end(self) -> DateTime<Utc> {
        self.0.as_end()
    }
}

impl<'de> Deserialize<'de> for TimeParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map(TimeParam).map_err(|_| {
            serde::de::Error::custom(format!(
                "{:?} is neither a date (YYYY-MM-DD, a day in IST) nor an RFC 3339 instant \
                 (2026-11-25T09:15:00+05:30)",
                raw.chars().take(40).collect::<String>()
            ))
        })
    }
}

impl utoipa::PartialSchema for TimeParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let string = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        OneOfBuilder::new()
            .item(string(KnownFormat::Date).description(Some("a day, in IST")))
            .item(string(KnownFormat::DateTime).description(Some("an RFC 3339 instant")))
            .description(Some("An IST day (YYYY-MM-DD: a range's from starts at its start, its to ends at its end) or an RFC 3339 instant"))
            .into()
    }
}

impl utoipa::ToSchema for TimeParam {}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Callback {
        code: String,
        state: String,
    }

    fn field_and_message(e: &ApiError) -> (&str, &str) {
        let d = &e.details()[0];
        (d.field.as_str(), d.message.as_str())
    }

    async fn parse(uri: &str) -> Result<Callback, ApiError> {
        let (mut parts, ()) = Request::get(uri).body(()).unwrap().into_parts();
        AppQuery::<Callback>::from_request_parts(&mut parts, &())
            .await
            .map(|q| q.0)
    }

    #[tokio::test]
    async fn parses_and_decodes_parameters() {
        let parsed = parse("/cb?code=a%2Bb&state=x.y").await.unwrap();
        assert_eq!(
            parsed,
            Callback {
                code: "a+b".into(),
                state: "x.y".into()
            }
        );
    }

    #[tokio::test]
    async fn names_missing_and_unknown_parameters() {
        let missing = parse("/cb?state=x").await.unwrap_err();
        assert_eq!(missing.status(), 400);
        assert_eq!(field_and_message(&missing), ("code", "is required"));
        let unknown = parse("/cb?code=a&state=b&admin=1").await.unwrap_err();
        assert_eq!(
            field_and_message(&unknown),
            (
                "admin",
                "is not a parameter of this route; this route takes code or state"
            )
        );
        let twice = parse("/cb?code=a&state=b&code=c").await.unwrap_err();
        assert_eq!(field_and_message(&twice), ("code", "is given more than once"));
        let long = parse(&format!("/cb?code={}&state=b", "a".repeat(MAX_QUERY_BYTES)))
            .await
            .unwrap_err();
        assert_eq!(long.status(), 400);
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Range {
        from: TimeParam,
        to: Option<TimeParam>,
        limit: Option<u16>,
        interval: Option<Size>,
    }

    #[derive(Debug, Deserialize)]
    enum Size {
        #[serde(rename = "1d")]
        Day,
    }

    #[test]
    fn time_parameters_take_an_ist_day_or_an_instant_and_name_the_parameter_otherwise() {
        let day: Range = parse_query("from=2026-01-01&to=2026-03-31&limit=7&interval=1d").unwrap();
        assert!(matches!((day.limit, day.interval), (Some(7), Some(Size::Day))));
        assert_eq!(day.from.as_start().to_rfc3339(), "2025-12-31T18:30:00+00:00");
        assert_eq!(day.to.unwrap().as_end().to_rfc3339(), "2026-03-31T18:30:00+00:00");
        let instant: Range = parse_query("from=2026-01-01T09:15:00%2B05:30").unwrap();
        assert_eq!(instant.from.as_start().to_rfc3339(), "2026-01-01T03:45:00+00:00");
        assert!(instant.to.is_none());

        let bad = parse_query::<Range>("from=2026-01-01&to=31/03/2026").unwrap_err();
        let (field, message) = field_and_message(&bad);
        assert_eq!(field, "to");
        assert!(
            message.starts_with("\"31/03/2026\" is neither a date"),
            "{message}"
        );
        let missing = parse_query::<Range>("to=2026-03-31").unwrap_err();
        assert_eq!(field_and_message(&missing), ("from", "is required"));
    }

    #[test]
    fn numbers_and_choices_are_explained_in_words() {
        let cases = [
            ("from=2026-01-01&limit=ten", "limit", "must be a whole number"),
            ("from=2026-01-01&limit=", "limit", "is empty; give a whole number"),
            ("from=2026-01-01&limit=70000", "limit", "is out of range"),
            ("from=2026-01-01&interval=", "interval", "\"\" is not one of 1d"),
        ];
        for (query, field, message) in cases {
            let e = parse_query::<Range>(query).unwrap_err();
            assert_eq!(field_and_message(&e), (field, message), "{query}");
        }
    }
}
