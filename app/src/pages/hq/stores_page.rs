//! `/hq/stores`: the organisation tree, head office → region → store.

use std::collections::HashSet;

use huiyuan_shared::api::{StoreKind, StoreNode};
use huiyuan_shared::StoreId;
use leptos::prelude::*;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::loading_view::LoadingView;
use crate::i18n::{use_i18n, Key};

/// Indentation of one tree level, in rem.
const INDENT_PER_LEVEL_REM: usize = 2;

#[component]
pub fn StoresPage() -> impl IntoView {
    let i18n = use_i18n();
    let stores = LocalResource::new(api::stores);
    let body = move || match stores.get() {
        None => view! { <LoadingView /> }.into_any(),
        Some(Ok(nodes)) => view! { <StoreTree nodes /> }.into_any(),
        Some(Err(error)) => {
            let retry = Callback::new(move |()| stores.refetch());
            view! { <ErrorView error on_retry=retry /> }.into_any()
        }
    };
    view! {
        <div class="hq-page">
            <h1 class="hq-page__title">{move || i18n.t(Key::NavStores)}</h1>
            <div class="card card--flush">{body}</div>
        </div>
    }
}

#[component]
fn StoreTree(nodes: Vec<StoreNode>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = tree_order(nodes);
    let empty = rows.is_empty();
    view! {
        <table class="table store-tree" data-testid="store-tree">
            <thead>
                <tr>
                    <th>{move || i18n.t(Key::ColStoreName)}</th>
                    <th>{move || i18n.t(Key::ColCode)}</th>
                    <th>{move || i18n.t(Key::ColKind)}</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(depth, node)| {
                        let indent = format!("padding-left: {}rem", depth * INDENT_PER_LEVEL_REM);
                        let kind = kind_key(node.kind);
                        view! {
                            <tr data-kind=node.kind.code() data-depth=depth.to_string()>
                                <td>
                                    <span class="store-tree__name" style=indent>
                                        <span class="store-tree__marker" aria-hidden="true"></span>
                                        {node.name}
                                    </span>
                                </td>
                                <td class="mono">{node.code}</td>
                                <td>
                                    <span class=format!("badge badge--kind-{}", node.kind.code())>
                                        {move || i18n.t(kind)}
                                    </span>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
                {empty.then(|| view! {
                    <tr>
                        <td colspan="3" class="table__empty">{move || i18n.t(Key::NoData)}</td>
                    </tr>
                })}
            </tbody>
        </table>
    }
}

fn kind_key(kind: StoreKind) -> Key {
    match kind {
        StoreKind::Hq => Key::KindHq,
        StoreKind::Region => Key::KindRegion,
        StoreKind::Store => Key::KindStore,
    }
}

/// The nodes depth first with their depth, children after their parent in the order the
/// server gave them. A node whose parent is not in the list (outside the viewer's scope) is
/// a root.
fn tree_order(nodes: Vec<StoreNode>) -> Vec<(usize, StoreNode)> {
    let ids: HashSet<StoreId> = nodes.iter().map(|node| node.id).collect();
    let is_root = |node: &StoreNode| node.parent_id.is_none_or(|parent| !ids.contains(&parent));
    let mut ordered = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, &StoreNode)> = nodes
        .iter()
        .filter(|node| is_root(node))
        .rev()
        .map(|node| (0, node))
        .collect();
    while let Some((depth, node)) = stack.pop() {
        ordered.push((depth, node.clone()));
        let children = nodes
            .iter()
            .filter(|child| child.parent_id == Some(node.id));
        stack.extend(children.rev().map(|child| (depth + 1, child)));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, kind: StoreKind, parent: Option<StoreId>) -> StoreNode {
        StoreNode {
            id: StoreId::new(),
            parent_id: parent,
            code: name.to_owned(),
            name: name.to_owned(),
            kind,
        }
    }

    /// Children follow their parent, one level deeper, whatever order the list came in.
    #[test]
    fn orders_nodes_depth_first() {
        let hq = node("hq", StoreKind::Hq, None);
        let east = node("east", StoreKind::Region, Some(hq.id));
        let shop = node("shop", StoreKind::Store, Some(east.id));
        let west = node("west", StoreKind::Region, Some(hq.id));
        let ordered = tree_order(vec![shop.clone(), west.clone(), hq.clone(), east.clone()]);
        let names: Vec<(usize, &str)> = ordered
            .iter()
            .map(|(depth, node)| (*depth, node.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![(0, "hq"), (1, "west"), (1, "east"), (2, "shop")]
        );
    }
}
