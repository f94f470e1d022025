//! The app's pages, one per route, and the sign-in page shown until someone signs in.

pub mod agents;
pub mod audit;
pub mod customer;
pub mod inbox;
pub mod insights;
pub mod lazy;
pub mod sent;
pub mod settings;
pub mod sign_in;
pub mod together;
