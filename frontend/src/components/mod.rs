//! The inbox's building blocks. Each module is one component (and its helpers); they reach each
//! other through their own paths, never through this module.

pub mod action_context;
pub mod action_list;
pub mod bulk_bar;
pub mod charts;
pub mod decision;
pub mod delivery;
pub mod detail_panel;
pub mod dialog;
pub mod draft_editor;
pub mod draft_view;
pub mod error_notice;
pub mod filters;
pub mod keyboard_help;
pub mod metrics_bar;
pub mod review;
pub mod segment_tabs;
pub mod snooze_menu;
pub mod undo_toast;
