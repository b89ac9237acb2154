//! Wire types of the member record (MEM-1, MEM-3, MEM-6): the profile with its general and
//! protected fields, HQ's classification lists, and search.

use crate::ids::{MemberId, StoreId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Results one search page holds at most.
pub const SEARCH_PAGE_MAX: u32 = 50;
/// The longest text a profile field may hold, in characters.
pub const FIELD_TEXT_CHARS_MAX: usize = 200;
/// Stable error code: another member already has this phone number.
pub const DUPLICATE_PHONE: &str = "duplicate_phone";
/// Stable error code: the member may not edit this field (it is protected).
pub const PROTECTED_FIELD: &str = "protected_field";

/// Where a member stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Registered and waiting for approval (not yet 正式会员).
    Pending,
    /// A formal member.
    Active,
    /// Moved to the historical archive (历史档案); can be restored.
    Archived,
    /// A duplicate merged into another member; kept for history only.
    Merged,
}

impl MemberStatus {
    pub fn code(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Active => "active",
            MemberStatus::Archived => "archived",
            MemberStatus::Merged => "merged",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "pending" => Some(MemberStatus::Pending),
            "active" => Some(MemberStatus::Active),
            "archived" => Some(MemberStatus::Archived),
            "merged" => Some(MemberStatus::Merged),
            _ => None,
        }
    }
}

/// Who may edit a profile field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    /// The member may edit it on their phone, and staff too.
    General,
    /// Only staff may edit it.
    Protected,
}

impl FieldAccess {
    pub fn code(self) -> &'static str {
        match self {
            FieldAccess::General => "general",
            FieldAccess::Protected => "protected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "general" => Some(FieldAccess::General),
            "protected" => Some(FieldAccess::Protected),
            _ => None,
        }
    }
}

/// What a profile field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// One of the field's `choices`.
    Choice,
}

impl FieldKind {
    pub fn code(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Choice => "choice",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "text" => Some(FieldKind::Text),
            "number" => Some(FieldKind::Number),
            "date" => Some(FieldKind::Date),
            "choice" => Some(FieldKind::Choice),
            _ => None,
        }
    }
}

/// A profile field: one of MEM-1's built-in fields or a questionnaire field HQ added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldDef {
    /// Lower-case letters, digits and `_`, starting with a letter.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub choices: Vec<String>,
    pub access: FieldAccess,
    /// Built-in fields can be relabelled and have their access changed, not removed.
    #[serde(default)]
    pub builtin: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub position: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The profile's field values by key. Values are strings as typed (`number` and `date`
/// fields are checked against their kind).
pub type Profile = BTreeMap<String, String>;

/// Checks one value against its field's definition and returns it tidied (trimmed).
/// An empty value clears the field.
pub fn check_field_value(def: &FieldDef, value: &str) -> Result<String, crate::FieldError> {
    let field = format!("profile.{}", def.key);
    let value = value.trim();
    if value.is_empty() {
        if def.required {
            return Err(crate::FieldError::required(&field));
        }
        return Ok(String::new());
    }
    if value.chars().count() > FIELD_TEXT_CHARS_MAX {
        return Err(crate::FieldError::new(
            &field,
            "too_long",
            format!("{}最多 {FIELD_TEXT_CHARS_MAX} 个字", def.label),
        ));
    }
    match def.kind {
        FieldKind::Text => {}
        FieldKind::Number => {
            if value.parse::<f64>().map(|n| !n.is_finite()).unwrap_or(true) {
                return Err(crate::FieldError::new(
                    &field,
                    "not_a_number",
                    format!("{}应为数字", def.label),
                ));
            }
        }
        FieldKind::Date => {
            if !is_date(value) {
                return Err(crate::FieldError::new(
                    &field,
                    "invalid_date",
                    format!("{}应为日期（如 1990-05-01）", def.label),
                ));
            }
        }
        FieldKind::Choice => {
            if !def.choices.iter().any(|choice| choice == value) {
                return Err(crate::FieldError::new(
                    &field,
                    "not_a_choice",
                    format!("{}只能是：{}", def.label, def.choices.join("、")),
                ));
            }
        }
    }
    Ok(value.to_owned())
}

/// `YYYY-MM-DD` naming a real day of the Gregorian calendar.
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2999).contains(&year) && (1..=days).contains(&day)
}

/// The classification lists HQ keeps (MEM-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClassList {
    /// 频率: how often the member comes.
    Frequency,
    /// 类型: e.g. 个人, 企业, 员工.
    Type,
    /// 地区.
    Region,
}

impl ClassList {
    pub const ALL: [ClassList; 3] = [ClassList::Frequency, ClassList::Type, ClassList::Region];

    pub fn code(self) -> &'static str {
        match self {
            ClassList::Frequency => "frequency",
            ClassList::Type => "type",
            ClassList::Region => "region",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|list| list.code() == code)
    }
}

/// One entry of a classification list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberClass {
    pub id: String,
    pub list: ClassList,
    pub name: String,
    pub position: i64,
    pub active: bool,
}

/// A new entry of a classification list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberClassDraft {
    pub list: ClassList,
    pub name: String,
    #[serde(default)]
    pub position: i64,
}

/// The member's classification, one entry id per list (or none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Classification {
    #[serde(default)]
    pub frequency: Option<String>,
    #[serde(default)]
    pub r#type: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// A member entered by staff at the counter or at HQ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberDraft {
    pub name: String,
    pub phone: String,
    /// The store the member belongs to; a store-level staff member's own store if absent.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    #[serde(default)]
    pub profile: Profile,
    #[serde(default)]
    pub classification: Classification,
    /// `store`, `hq`, `call_centre`; self-registration and import set their own.
    #[serde(default)]
    pub channel: Option<String>,
    /// A referrer's referral code.
    #[serde(default)]
    pub referral_code: Option<String>,
}

/// A change to a member. Absent parts stay as they are; a profile value of `""` clears it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub profile: Profile,
    #[serde(default)]
    pub classification: Option<Classification>,
}

/// A member as a search result or a list row shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberSummary {
    pub id: MemberId,
    pub member_no: String,
    pub name: String,
    /// `138****8000`: the full number is shown only in the member's own record.
    pub phone_masked: String,
    pub status: MemberStatus,
    pub level_id: String,
    pub level_name: String,
    pub store_id: Option<StoreId>,
    pub frozen: bool,
    /// What matched: `phone`, `phone_tail`, `member_no`, `card_no` or `name`.
    pub matched: String,
}

/// One page of search results, best match first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberPage {
    pub members: Vec<MemberSummary>,
    /// Whether another page follows.
    pub more: bool,
}

/// The member's full record as staff see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberRecord {
    pub id: MemberId,
    pub member_no: String,
    pub name: String,
    pub phone: String,
    pub status: MemberStatus,
    pub level_id: String,
    pub level_name: String,
    /// When the current level's term ends (RFC 3339), if it has one.
    pub level_expires_at: Option<String>,
    pub store_id: Option<StoreId>,
    pub profile: Profile,
    pub classification: Classification,
    pub registered_via: String,
    pub referral_code: Option<String>,
    pub referred_by: Option<MemberId>,
    pub frozen: bool,
    pub has_pin: bool,
    pub created_at: String,
    pub approved_at: Option<String>,
    pub archived_at: Option<String>,
    /// The member this one was merged into, if it was a duplicate.
    pub merged_into: Option<MemberId>,
}

/// The member's own profile on their phone: the fields it has, and which they may edit
/// (`access` general).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnProfile {
    pub member_no: String,
    pub name: String,
    pub phone_masked: String,
    /// What the member gives friends to register with.
    pub referral_code: Option<String>,
    pub profile: Profile,
    pub fields: Vec<FieldDef>,
}

/// How a search term is read. `auto` decides from its shape: 11 digits a phone, 4 digits
/// a phone's tail, other digits a member or card number, anything else a name fragment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    #[default]
    Auto,
    Phone,
    PhoneTail,
    MemberNo,
    CardNo,
    Name,
}

impl SearchKind {
    pub fn code(self) -> &'static str {
        match self {
            SearchKind::Auto => "auto",
            SearchKind::Phone => "phone",
            SearchKind::PhoneTail => "phone_tail",
            SearchKind::MemberNo => "member_no",
            SearchKind::CardNo => "card_no",
            SearchKind::Name => "name",
        }
    }

    /// The kind an `auto` term is searched as.
    pub fn resolve(self, term: &str) -> SearchKind {
        if self != SearchKind::Auto {
            return self;
        }
        let digits = !term.is_empty() && term.bytes().all(|b| b.is_ascii_digit());
        match (digits, term.len()) {
            (true, 11) if term.starts_with('1') => SearchKind::Phone,
            (true, 4) => SearchKind::PhoneTail,
            (true, _) => SearchKind::MemberNo,
            (false, _) => SearchKind::Name,
        }
    }
}

/// The fragments a name is indexed by: each character and each neighbouring pair, in
/// lower case. A search term of two or more characters is found through its pairs.
pub fn name_grams(name: &str) -> Vec<String> {
    let chars: Vec<char> = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let mut grams: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    grams.extend(chars.windows(2).map(|pair| pair.iter().collect()));
    grams.sort();
    grams.dedup();
    grams
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_indexed_by_characters_and_pairs() {
        assert_eq!(name_grams("张三丰"), vec!["三", "三丰", "丰", "张", "张三"]);
        assert_eq!(
            name_grams("Li Lei"),
            vec!["e", "ei", "i", "il", "l", "le", "li"]
        );
    }

    #[test]
    fn auto_search_reads_the_term_by_its_shape() {
        assert_eq!(SearchKind::Auto.resolve("13800138000"), SearchKind::Phone);
        assert_eq!(SearchKind::Auto.resolve("8000"), SearchKind::PhoneTail);
        assert_eq!(SearchKind::Auto.resolve("000000018"), SearchKind::MemberNo);
        assert_eq!(SearchKind::Auto.resolve("三丰"), SearchKind::Name);
        assert_eq!(SearchKind::Name.resolve("8000"), SearchKind::Name);
    }

    #[test]
    fn dates_must_be_real_days() {
        assert!(is_date("2000-02-29"));
        assert!(!is_date("1900-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("2024-1-01"));
    }

    #[test]
    fn a_field_value_is_checked_against_its_kind() {
        let def = FieldDef {
            key: "gender".into(),
            label: "性别".into(),
            kind: FieldKind::Choice,
            choices: vec!["男".into(), "女".into()],
            access: FieldAccess::General,
            builtin: true,
            required: false,
            position: 0,
            active: true,
        };
        assert_eq!(check_field_value(&def, " 女 ").as_deref(), Ok("女"));
        let error = check_field_value(&def, "x").expect_err("not a choice");
        assert_eq!(error.field, "profile.gender");
        assert_eq!(error.code, "not_a_choice");
        assert_eq!(check_field_value(&def, "").as_deref(), Ok(""));
    }
}
