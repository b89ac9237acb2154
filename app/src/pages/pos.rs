//! The pieces of the counter beside `pos_page`.

pub mod cart_panel;
pub mod checkout;
pub mod counter;
pub mod held_sales;
pub mod member_panel;
pub mod payment_dialog;
pub mod receipt;
pub mod redeem_view;
pub mod returns_view;
pub mod scanner;
pub mod shift_view;
pub mod topup_view;
