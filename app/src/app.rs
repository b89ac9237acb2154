//! The application root: contexts and routes.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::I18n;
use crate::pages::home_page::HomePage;
use crate::pages::hq::audit_page::AuditPage;
use crate::pages::hq::member_import_page::MemberImportPage;
use crate::pages::hq::overview_page::OverviewPage;
use crate::pages::hq::staff_page::StaffPage;
use crate::pages::hq::stores_page::StoresPage;
use crate::pages::hq_page::HqPage;
use crate::pages::login_page::LoginPage;
use crate::pages::member_page::MemberPage;
use crate::pages::not_found_page::NotFoundPage;
use crate::pages::pos_page::PosPage;
use crate::session::Session;

#[component]
pub fn App() -> impl IntoView {
    I18n::provide();
    Session::provide();
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/pos") view=PosPage />
                <Route path=path!("/m") view=MemberPage />
                <ParentRoute path=path!("/hq") view=HqPage>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("staff") view=StaffPage />
                    <Route path=path!("stores") view=StoresPage />
                    <Route path=path!("audit") view=AuditPage />
                    <Route path=path!("member-import") view=MemberImportPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
