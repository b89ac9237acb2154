//! The application root: contexts and routes.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::I18n;
use crate::pages::home_page::HomePage;
use crate::pages::hq::approvals_page::ApprovalsPage;
use crate::pages::hq::audit_page::AuditPage;
use crate::pages::hq::card_stock_page::CardStockPage;
use crate::pages::hq::cards_page::CardsPage;
use crate::pages::hq::levels_page::LevelsPage;
use crate::pages::hq::member_detail_page::MemberDetailPage;
use crate::pages::hq::member_import_page::MemberImportPage;
use crate::pages::hq::member_settings_page::MemberSettingsPage;
use crate::pages::hq::members_page::MembersPage;
use crate::pages::hq::offline_page::OfflinePage;
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
                    <Route path=path!("levels") view=LevelsPage />
                    <Route path=path!("approvals") view=ApprovalsPage />
                    <Route path=path!("offline") view=OfflinePage />
                    <Route path=path!("cards") view=CardsPage />
                    <Route path=path!("card-stock") view=CardStockPage />
                    <Route path=path!("staff") view=StaffPage />
                    <Route path=path!("stores") view=StoresPage />
                    <Route path=path!("audit") view=AuditPage />
                    <Route path=path!("members") view=MembersPage />
                    <Route path=path!("members/:id") view=MemberDetailPage />
                    <Route path=path!("member-settings") view=MemberSettingsPage />
                    <Route path=path!("member-import") view=MemberImportPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
