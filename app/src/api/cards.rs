//! Member cards and card stock: finding a card and acting on it, stock batches and
//! hand-overs, and the member's QR code.

use huiyuan_shared::api::ApiError;
use huiyuan_shared::card::{
    CardBatch, CardBatchRequest, CardCloseReceipt, CardCloseRequest, CardHandover,
    CardHandoverRequest, CardReplaceRequest, CardReplaced, CardStateChange, CardStockSummary,
    MemberCardView, MemberQr,
};

use super::{encode, get_json, post_json};

/// What staff may do to a card without a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardAction {
    ReportLost,
    Found,
    Freeze,
    Unfreeze,
}

impl CardAction {
    fn path(self) -> &'static str {
        match self {
            CardAction::ReportLost => "lost",
            CardAction::Found => "found",
            CardAction::Freeze => "freeze",
            CardAction::Unfreeze => "unfreeze",
        }
    }
}

pub async fn get(card_no: &str) -> Result<MemberCardView, ApiError> {
    get_json(&format!("/cards/{}", encode(card_no))).await
}

pub async fn change_state(
    card_no: &str,
    action: CardAction,
    reason: Option<String>,
) -> Result<MemberCardView, ApiError> {
    post_json(
        &format!("/cards/{}/{}", encode(card_no), action.path()),
        &CardStateChange { reason },
    )
    .await
}

pub async fn reissue(
    card_no: &str,
    request: &CardReplaceRequest,
) -> Result<CardReplaced, ApiError> {
    post_json(&format!("/cards/{}/reissue", encode(card_no)), request).await
}

pub async fn close(
    card_no: &str,
    request: &CardCloseRequest,
) -> Result<CardCloseReceipt, ApiError> {
    post_json(&format!("/cards/{}/close", encode(card_no)), request).await
}

pub async fn stock() -> Result<CardStockSummary, ApiError> {
    get_json("/card-stock").await
}

pub async fn create_batch(request: &CardBatchRequest) -> Result<CardBatch, ApiError> {
    post_json("/card-batches", request).await
}

pub async fn hand_over(request: &CardHandoverRequest) -> Result<CardHandover, ApiError> {
    post_json("/card-handovers", request).await
}

/// A fresh QR code for the logged-in member.
pub async fn member_qr() -> Result<MemberQr, ApiError> {
    post_json("/member/qr", &serde_json::json!({})).await
}

/// The cards a member holds and held, for the 360° view.
pub async fn for_member(member_id: &str) -> Result<Vec<MemberCardView>, ApiError> {
    get_json(&format!("/members/{member_id}/cards")).await
}

/// The member a scanned card, member code (QR), member number or phone belongs to; a
/// member code is checked but not used up.
pub async fn by_card(card: &str) -> Result<huiyuan_shared::card::CardLookup, ApiError> {
    get_json(&format!("/members/by-card?card={}", super::encode(card))).await
}
