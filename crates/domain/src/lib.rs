//! The AI Inbox domain, shared by the API server and the WASM review client.
//!
//! Pure: no I/O, no clock (callers pass `now`), no web framework. It must keep compiling for
//! `wasm32-unknown-unknown`. The server turns on two features: `openapi` (utoipa schemas) and
//! `sea-orm` (enums stored as their wire strings, parsed once by the ORM).

pub mod action;
pub mod auth;
pub mod autonomy;
pub mod business_hours;
pub mod delivery;
pub mod display;
pub mod dto;
pub mod insights;
pub mod lifecycle;
pub mod metrics;
pub mod notices;
pub mod problem;
pub mod review;
pub mod safeguards;
pub mod sort;
pub mod variables;
pub mod webhook;

pub use action::{
    ActionType, Channel, Confidence, ConfidenceError, ConfidenceFactor, CustomerType, Priority,
    RejectionReason, SnoozeDuration, Tone,
};
pub use lifecycle::{
    ActionStatus, EventKind, Lifecycle, LifecycleEvent, Transition, TransitionError,
};
pub use problem::{FieldError, Problem};
