//! The pieces of the counter beside `pos_page`.

pub mod member_lookup;
