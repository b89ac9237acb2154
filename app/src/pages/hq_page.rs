//! `/hq`: the head-office shell for a laptop screen: a sidebar of modules, a top bar and
//! the current module's page.

use huiyuan_shared::Permission;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::components::brand_mark::BrandMark;
use crate::components::lang_switch::LangSwitch;
use crate::components::logout_button::LogoutButton;
use crate::components::staff_guard::StaffGuard;
use crate::i18n::{use_document_title, use_i18n, Key};
use crate::session::use_session;

/// One module of the sidebar.
struct NavItem {
    label: Key,
    /// The route, or `None` while the module is not built yet.
    path: Option<&'static str>,
    /// What the staff member needs to see the item at all.
    permission: Permission,
    testid: &'static str,
}

static NAV_ITEMS: &[NavItem] = &[
    NavItem {
        label: Key::NavOverview,
        path: Some("/hq"),
        permission: Permission::HqUse,
        testid: "nav-overview",
    },
    NavItem {
        label: Key::NavMembers,
        path: Some("/hq/members"),
        permission: Permission::MemberView,
        testid: "nav-members",
    },
    NavItem {
        label: Key::MemberSettings,
        path: Some("/hq/member-settings"),
        permission: Permission::RulesEdit,
        testid: "nav-member-settings",
    },
    NavItem {
        label: Key::NavLevels,
        path: Some("/hq/levels"),
        permission: Permission::MemberView,
        testid: "nav-levels",
    },
    NavItem {
        label: Key::NavOffline,
        path: Some("/hq/offline"),
        permission: Permission::ReportView,
        testid: "nav-offline",
    },
    NavItem {
        label: Key::NavApprovals,
        path: Some("/hq/approvals"),
        permission: Permission::MemberApprove,
        testid: "nav-approvals",
    },
    NavItem {
        label: Key::NavMemberImport,
        path: Some("/hq/member-import"),
        permission: Permission::MemberImport,
        testid: "nav-member-import",
    },
    NavItem {
        label: Key::NavCards,
        path: Some("/hq/cards"),
        permission: Permission::MemberView,
        testid: "nav-cards",
    },
    NavItem {
        label: Key::NavCardStock,
        path: Some("/hq/card-stock"),
        permission: Permission::CardStock,
        testid: "nav-card-stock",
    },
    NavItem {
        label: Key::NavPoints,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-points",
    },
    NavItem {
        label: Key::NavStoredValue,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-stored-value",
    },
    NavItem {
        label: Key::NavGoods,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-goods",
    },
    NavItem {
        label: Key::NavActivities,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-activities",
    },
    NavItem {
        label: Key::NavCommunication,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-communication",
    },
    NavItem {
        label: Key::NavMarketing,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-marketing",
    },
    NavItem {
        label: Key::NavReports,
        path: None,
        permission: Permission::HqUse,
        testid: "nav-reports",
    },
    NavItem {
        label: Key::NavStaff,
        path: Some("/hq/staff"),
        permission: Permission::StaffView,
        testid: "nav-staff",
    },
    NavItem {
        label: Key::NavStores,
        path: Some("/hq/stores"),
        permission: Permission::HqUse,
        testid: "nav-stores",
    },
    NavItem {
        label: Key::NavAudit,
        path: Some("/hq/audit"),
        permission: Permission::AuditView,
        testid: "nav-audit",
    },
];

#[component]
pub fn HqPage() -> impl IntoView {
    view! {
        <StaffGuard permission=Permission::HqUse>
            <HqShell />
        </StaffGuard>
    }
}

#[component]
fn HqShell() -> impl IntoView {
    use_document_title(Key::HqTitle);
    let i18n = use_i18n();
    let session = use_session();
    let staff_name = move || session.staff().map(|staff| staff.display_name);
    let staff_context = move || {
        session
            .staff()
            .map(|staff| format!("{} · {}", staff.role.name, staff.store.name))
    };
    view! {
        <div class="hq-shell" data-testid="hq-shell">
            <aside class="hq-sidebar">
                <div class="hq-sidebar__brand">
                    <BrandMark />
                    <span>{move || i18n.t(Key::HqTitle)}</span>
                </div>
                <nav class="hq-nav" aria-label=move || i18n.t(Key::HqTitle)>
                    <ul>{NAV_ITEMS.iter().map(|item| view! { <HqNavItem item /> }).collect_view()}</ul>
                </nav>
            </aside>
            <div class="hq-main">
                <header class="hq-topbar">
                    <div class="hq-topbar__spacer"></div>
                    <div class="hq-topbar__staff">
                        <strong data-testid="staff-name">{staff_name}</strong>
                        <span class="muted">{staff_context}</span>
                    </div>
                    <LangSwitch />
                    <LogoutButton />
                </header>
                <main class="hq-content">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

#[component]
fn HqNavItem(item: &'static NavItem) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let label = item.label;
    move || {
        if !session.can(item.permission) {
            return None;
        }
        let entry = match item.path {
            Some(path) => view! {
                <A href=path exact=true attr:class="hq-nav__link" attr:data-testid=item.testid>
                    {move || i18n.t(label)}
                </A>
            }
            .into_any(),
            None => view! {
                <span class="hq-nav__link hq-nav__link--disabled" aria-disabled="true" data-testid=item.testid>
                    {move || i18n.t(label)}
                    <span class="tag">{move || i18n.t(Key::ComingSoon)}</span>
                </span>
            }
            .into_any(),
        };
        Some(view! { <li>{entry}</li> })
    }
}
