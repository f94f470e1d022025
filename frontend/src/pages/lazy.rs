//! The pages a reviewer reaches from the inbox, each in a WASM chunk of its own (Leptos' lazy
//! routes, split by `wasm-split-cli` in `just spa`): opening the app downloads the inbox only,
//! and a page's code is fetched the first time it is visited.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use super::{
    agents::AgentsPage, audit::AuditPage, customer::CustomerPage, insights::InsightsPage,
    sent::SentPage, settings::SettingsPage, together::TogetherPage,
};

/// A route whose view is loaded on demand. It loads no data of its own: each page starts its
/// requests once its code is there.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(AgentsRoute, AgentsPage);
lazy_page!(InsightsRoute, InsightsPage);
lazy_page!(AuditRoute, AuditPage);
lazy_page!(SentRoute, SentPage);
lazy_page!(SettingsRoute, SettingsPage);
lazy_page!(CustomerRoute, CustomerPage);
lazy_page!(TogetherRoute, TogetherPage);
