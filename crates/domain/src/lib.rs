//! The AI Inbox domain, shared by the API server and the WASM review client.
//!
//! Pure: no I/O, no clock (callers pass `now`), no web framework, no ORM. It must keep
//! compiling for `wasm32-unknown-unknown`.

pub mod action;
pub mod auth;
pub mod business_hours;
pub mod display;
pub mod dto;
pub mod lifecycle;
pub mod metrics;
pub mod review;
pub mod variables;

pub use action::{
    ActionType, Channel, Confidence, ConfidenceError, ConfidenceFactor, CustomerType, Priority,
    RejectionReason, SnoozeDuration, Tone,
};
pub use lifecycle::{ActionStatus, Lifecycle, LifecycleEvent, Transition, TransitionError};
