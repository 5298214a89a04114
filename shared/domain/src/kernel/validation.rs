//! A broken input rule, naming the field at fault: what every use case's validation reports, all at once,
//! and what the API turns into `400 VALIDATION_FAILED` with one detail per violation.

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The request field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Violation {
    /// `field` breaks a rule: `message` says which.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
