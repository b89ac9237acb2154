//! Self-registration from the member's phone (MEM-2): an SMS code proves the phone, the
//! registrant becomes a member — pending HQ's approval when the rules ask for it, formal
//! and logged in otherwise — and the member who referred them earns their points when
//! they become formal.

pub mod approval;
pub mod codes;
pub mod referral;

use crate::audit::Actor;
use crate::auth::password;
use crate::auth::session::{self, NewSession, SubjectKind, SESSION_REMEMBERED_MS};
use crate::db::Db;
use crate::error::AppError;
use crate::extract::ClientInfo;
use crate::member::{fields, record};
use crate::sale;
use huiyuan_shared::api::mask_mobile;
use huiyuan_shared::member::{Classification, FieldAccess, MemberStatus, Profile, DUPLICATE_PHONE};
use huiyuan_shared::registration::RegisterRequest;
use huiyuan_shared::validate::{check_new_password, normalize_mobile, normalize_name};
use huiyuan_shared::{FieldError, MemberId, ValidationErrors};

/// The channel self-registrations are recorded under.
pub const CHANNEL: &str = "sms";

/// A registration carried out.
#[derive(Debug)]
pub struct Outcome {
    pub id: MemberId,
    pub member_no: String,
    pub status: MemberStatus,
    /// The new member's session (token, expiry) when they are formal at once.
    pub session: Option<(String, i64)>,
}

/// Registers a member from the phone. Every bad field is reported at once before the code
/// is looked at, so a typing slip costs no try; then the code is checked (a wrong one is
/// counted even though nothing else is written); then the member is written with the code
/// used, in one transaction.
pub async fn register(
    db: &Db,
    client: &ClientInfo,
    request: &RegisterRequest,
) -> Result<Outcome, AppError> {
    let mut errors = ValidationErrors::default();
    let phone = normalize_mobile("phone", &request.phone).map_err(|e| errors.fields.push(e));
    errors.check(codes::check_shape(&request.code));
    let name = normalize_name("name", &request.name).map_err(|e| errors.fields.push(e));
    errors.check(check_new_password("password", &request.password));
    let mut connection = db.pool.acquire().await?;
    let defs = fields::list(&mut connection).await?;
    let mut profile = Profile::new();
    if let Err(AppError::Invalid(invalid)) =
        fields::apply_changes(&defs, &mut profile, &request.profile, true)
    {
        errors.fields.extend(invalid.fields);
    }
    // Protected fields are staff's to fill, even required ones.
    let general: Vec<_> = defs
        .iter()
        .filter(|def| def.access == FieldAccess::General)
        .cloned()
        .collect();
    if let Err(AppError::Invalid(invalid)) = fields::check_required(&general, &profile) {
        errors.fields.extend(invalid.fields);
    }
    let referred_by = match request.referral_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => match record::by_referral_code(&mut connection, code).await? {
            Some(referrer) => Some(referrer),
            None => {
                errors.fields.push(FieldError::new(
                    "referral_code",
                    "unknown_referral_code",
                    "推荐码不存在",
                ));
                None
            }
        },
    };
    let rules = sale::current_rules(&mut connection).await?;
    drop(connection);
    errors.into_result().map_err(AppError::Invalid)?;
    let phone = phone.unwrap_or_default();
    let name = name.unwrap_or_default();

    let mut tx = db.writer.begin().await?;
    let verified = codes::verify(&mut tx, &phone, &request.code).await?;
    tx.commit().await?;
    let code_id = verified?;

    let password_hash = password::hash(request.password.clone()).await?;
    let status = if rules.registration.approval_required {
        MemberStatus::Pending
    } else {
        MemberStatus::Active
    };
    let mut tx = db.writer.begin().await?;
    codes::consume(&mut tx, &code_id).await?;
    // Only now, with the phone proven, may the answer say that it is a member's already.
    if record::phone_taken(&mut tx, &phone, None).await? {
        return Err(AppError::field(FieldError::new(
            "phone",
            DUPLICATE_PHONE,
            "该手机号已是会员，请直接登录",
        )));
    }
    let new = record::NewMember {
        name,
        phone: phone.clone(),
        store_id: None,
        profile,
        classification: Classification::default(),
        channel: CHANNEL.to_owned(),
        status,
        referred_by,
        password_hash: Some(password_hash),
    };
    let (id, member_no) = record::insert(&mut tx, &Actor::Anonymous, &new).await?;
    let mut session_made = None;
    if status == MemberStatus::Active {
        let actor = Actor::Member {
            id: id.to_string(),
            name: mask_mobile(&phone),
        };
        referral::credit(&mut tx, &actor, id).await?;
        crate::notify::enqueue(
            &mut tx,
            crate::notify::Message {
                recipient: &phone,
                member_id: Some(id),
                kind: "welcome",
                body: approval::welcome_text(&new.name, &member_no),
            },
        )
        .await?;
        session_made = Some(
            session::create(
                &mut *tx,
                NewSession {
                    kind: SubjectKind::Member,
                    subject_id: &id.to_string(),
                    lifetime_ms: SESSION_REMEMBERED_MS,
                    ip: client.ip.as_deref(),
                    user_agent: client.user_agent.as_deref(),
                },
            )
            .await?,
        );
    }
    tx.commit().await?;
    Ok(Outcome {
        id,
        member_no,
        status,
        session: session_made,
    })
}
