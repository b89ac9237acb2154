//! The one translation layer of the client. Every string the UI shows is a [`Key`]
//! looked up for the current [`Lang`]; Simplified Chinese is the default.

use gloo_storage::{LocalStorage, Storage};
use huiyuan_shared::api::{error_code, ApiError};
use leptos::prelude::*;

/// Where the chosen language is remembered between visits.
const LANG_STORAGE_KEY: &str = "huiyuan.lang";

/// Client-side error code for a request that never got an answer.
pub const NETWORK_ERROR: &str = "network_error";
/// Client-side error code for an answer the client could not read.
pub const BAD_RESPONSE: &str = "bad_response";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    ZhTw,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::ZhCn, Lang::ZhTw, Lang::En];

    /// The BCP 47 tag, used for the `lang` attribute and in storage.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.tag() == tag)
    }

    /// The language's name in itself, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::ZhCn => "简体中文",
            Lang::ZhTw => "繁體中文",
            Lang::En => "English",
        }
    }
}

/// The current language, shared through context.
#[derive(Clone, Copy, Debug)]
pub struct I18n {
    lang: RwSignal<Lang>,
}

impl I18n {
    /// Reads the remembered language, applies it to the document and provides the context.
    pub fn provide() -> I18n {
        // Stored as the bare tag (not JSON) so that other code can read it plainly.
        let stored = LocalStorage::raw()
            .get_item(LANG_STORAGE_KEY)
            .ok()
            .flatten();
        let lang = stored
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(Lang::ZhCn);
        apply_document_lang(lang);
        let i18n = I18n {
            lang: RwSignal::new(lang),
        };
        provide_context(i18n);
        i18n
    }

    pub fn lang(&self) -> Lang {
        self.lang.get()
    }

    pub fn set_lang(&self, lang: Lang) {
        // Storage can be unavailable (private mode); the choice then lasts for the visit.
        let _ = LocalStorage::raw().set_item(LANG_STORAGE_KEY, lang.tag());
        apply_document_lang(lang);
        self.lang.set(lang);
    }

    /// The text of `key` in the current language; reactive when read inside a view.
    pub fn t(&self, key: Key) -> &'static str {
        text(self.lang.get(), key)
    }

    /// A message for the person at the screen: known codes are translated, anything else
    /// falls back to the server's own message.
    pub fn error(&self, error: &ApiError) -> String {
        match error_key(&error.code) {
            Some(key) => self.t(key).to_owned(),
            None if !error.message.is_empty() => error.message.clone(),
            None => self.t(Key::ErrUnknown).to_owned(),
        }
    }

    /// A message for one invalid field, translated when its code is known.
    pub fn field_error(&self, code: &str, server_message: &str) -> String {
        match field_error_key(code) {
            Some(key) => self.t(key).to_owned(),
            None => server_message.to_owned(),
        }
    }
}

pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(I18n::provide)
}

/// Keeps the browser tab's title on `key`, in the current language, while the calling
/// page is shown.
pub fn use_document_title(key: Key) {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let title = format!("{} · {}", i18n.t(key), i18n.t(Key::ProductName));
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(&title);
        }
    });
}

fn apply_document_lang(lang: Lang) {
    let root = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element());
    if let Some(root) = root {
        let _ = root.set_attribute("lang", lang.tag());
    }
}

fn error_key(code: &str) -> Option<Key> {
    let key = match code {
        error_code::INVALID_CREDENTIALS => Key::ErrInvalidCredentials,
        error_code::ACCOUNT_LOCKED => Key::ErrAccountLocked,
        error_code::ACCOUNT_DISABLED => Key::ErrAccountDisabled,
        error_code::UNAUTHENTICATED => Key::ErrUnauthenticated,
        error_code::FORBIDDEN => Key::ErrForbidden,
        error_code::INVALID_INPUT => Key::ErrInvalidInput,
        error_code::NOT_FOUND => Key::ErrNotFound,
        error_code::INTERNAL => Key::ErrInternal,
        NETWORK_ERROR => Key::ErrNetwork,
        BAD_RESPONSE => Key::ErrBadResponse,
        _ => return None,
    };
    Some(key)
}

fn field_error_key(code: &str) -> Option<Key> {
    let key = match code {
        "required" => Key::FieldRequired,
        "too_long" => Key::FieldTooLong,
        "invalid_mobile" => Key::FieldInvalidMobile,
        "invalid_username" => Key::FieldInvalidUsername,
        "invalid_characters" => Key::FieldInvalidCharacters,
        _ => return None,
    };
    Some(key)
}

/// Every string the UI shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    // Shared
    ProductName,
    Language,
    Logout,
    Loading,
    Retry,
    ErrorTitle,
    ForbiddenTitle,
    ForbiddenBody,
    SwitchAccount,
    NotFoundTitle,
    NotFoundBody,
    BackHome,
    Online,
    Offline,
    NoData,
    ComingSoon,
    // Errors
    ErrInvalidCredentials,
    ErrMemberInvalidCredentials,
    ErrAccountLocked,
    ErrAccountDisabled,
    ErrUnauthenticated,
    ErrForbidden,
    ErrInvalidInput,
    ErrNotFound,
    ErrInternal,
    ErrNetwork,
    ErrBadResponse,
    ErrUnknown,
    FieldRequired,
    FieldTooLong,
    FieldInvalidMobile,
    FieldInvalidUsername,
    FieldInvalidCharacters,
    // Staff login
    LoginTitle,
    LoginSubtitle,
    Username,
    Password,
    RememberMe,
    LoginSubmit,
    LoggingIn,
    MemberEntry,
    // POS
    PosTitle,
    Cashier,
    MemberPanel,
    MemberSearchPlaceholder,
    MemberSearchHint,
    WalkInCustomer,
    Cart,
    CartEmpty,
    CartEmptyHint,
    ItemCount,
    Subtotal,
    Discount,
    AmountDue,
    Checkout,
    HoldOrder,
    RecallOrder,
    VoidOrder,
    // Member face
    MemberCentre,
    MemberLoginTitle,
    Phone,
    MemberNo,
    Points,
    Balance,
    // HQ
    HqTitle,
    NavOverview,
    NavMembers,
    NavCards,
    NavPoints,
    NavStoredValue,
    NavGoods,
    NavActivities,
    NavCommunication,
    NavMarketing,
    NavReports,
    NavStaff,
    NavStores,
    NavAudit,
    SignedInAs,
    Role,
    StoreNode,
    PermissionCount,
    SystemHealth,
    Database,
    Version,
    HealthOk,
    HealthBad,
    ColUsername,
    ColName,
    ColStoreName,
    ColRole,
    ColStore,
    ColStatus,
    ColCode,
    ColKind,
    StatusActive,
    StatusLeft,
    StatusLocked,
    KindHq,
    KindRegion,
    KindStore,
    ColTime,
    ColActor,
    ColAction,
    ColEntity,
    ColIp,
    ActionFilter,
    ActionFilterPlaceholder,
    Search,
    LoadMore,
    NoMore,
    ActorSystem,
    // Member import and export
    NavMemberImport,
    ExportMembers,
    ImportChooseFile,
    ImportColumnsHint,
    ImportPickFile,
    ImportCheck,
    ImportChecking,
    ImportReport,
    ImportRowsRead,
    ImportToCreate,
    ImportExisting,
    ImportBadRows,
    ImportIgnoredColumns,
    ImportBadRowsTitle,
    ImportExistingTitle,
    ImportListCut,
    ImportConfirm,
    ImportSkipsBadRows,
    ImportNothingNew,
    ImportRunning,
    ImportDone,
    ImportStopped,
    ImportCreated,
    ImportSkipped,
    ColRow,
    ColField,
    ColReason,
}

/// The text of `key` in `lang`.
pub fn text(lang: Lang, key: Key) -> &'static str {
    match lang {
        Lang::ZhCn => zh_cn(key),
        Lang::ZhTw => zh_tw(key),
        Lang::En => en(key),
    }
}

fn zh_cn(key: Key) -> &'static str {
    match key {
        Key::ProductName => "会员",
        Key::Language => "语言",
        Key::Logout => "退出登录",
        Key::Loading => "加载中…",
        Key::Retry => "重试",
        Key::ErrorTitle => "出错了",
        Key::ForbiddenTitle => "没有权限",
        Key::ForbiddenBody => "当前账号无权访问此页面。请换一个有权限的账号登录。",
        Key::SwitchAccount => "退出并切换账号",
        Key::NotFoundTitle => "页面不存在",
        Key::NotFoundBody => "您访问的地址不存在或已移动。",
        Key::BackHome => "返回首页",
        Key::Online => "在线",
        Key::Offline => "离线",
        Key::NoData => "暂无数据",
        Key::ComingSoon => "即将上线",
        Key::ErrInvalidCredentials => "用户名或密码错误",
        Key::ErrMemberInvalidCredentials => "手机号或密码错误",
        Key::ErrAccountLocked => "账号已锁定，请15分钟后再试",
        Key::ErrAccountDisabled => "账号已停用，请联系管理员",
        Key::ErrUnauthenticated => "登录已失效，请重新登录",
        Key::ErrForbidden => "没有权限执行此操作",
        Key::ErrInvalidInput => "输入有误，请检查标出的项目",
        Key::ErrNotFound => "请求的内容不存在",
        Key::ErrInternal => "服务器出错，请稍后再试",
        Key::ErrNetwork => "网络连接失败，请检查网络后重试",
        Key::ErrBadResponse => "服务器返回了无法识别的数据",
        Key::ErrUnknown => "操作失败，请稍后再试",
        Key::FieldRequired => "必填",
        Key::FieldTooLong => "内容过长",
        Key::FieldInvalidMobile => "手机号格式不正确",
        Key::FieldInvalidUsername => "用户名格式不正确",
        Key::FieldInvalidCharacters => "含有无效字符",
        Key::LoginTitle => "职员登录",
        Key::LoginSubtitle => "会员 · 积分 · 储值管理系统",
        Key::Username => "用户名",
        Key::Password => "密码",
        Key::RememberMe => "记住我",
        Key::LoginSubmit => "登录",
        Key::LoggingIn => "登录中…",
        Key::MemberEntry => "我是会员，查看积分与余额",
        Key::PosTitle => "会员收银",
        Key::Cashier => "收银员",
        Key::MemberPanel => "会员",
        Key::MemberSearchPlaceholder => "手机号/卡号/姓名",
        Key::MemberSearchHint => "会员查询即将上线",
        Key::WalkInCustomer => "散客（未识别会员）",
        Key::Cart => "购物车",
        Key::CartEmpty => "购物车为空",
        Key::CartEmptyHint => "扫描商品条码或输入商品编码开始收银",
        Key::ItemCount => "件数",
        Key::Subtotal => "小计",
        Key::Discount => "优惠",
        Key::AmountDue => "应收",
        Key::Checkout => "收款",
        Key::HoldOrder => "挂单",
        Key::RecallOrder => "取单",
        Key::VoidOrder => "整单取消",
        Key::MemberCentre => "会员中心",
        Key::MemberLoginTitle => "会员登录",
        Key::Phone => "手机号",
        Key::MemberNo => "会员号",
        Key::Points => "积分",
        Key::Balance => "储值余额",
        Key::HqTitle => "总部管理",
        Key::NavOverview => "概览",
        Key::NavMembers => "会员",
        Key::NavCards => "卡务",
        Key::NavPoints => "积分",
        Key::NavStoredValue => "储值",
        Key::NavGoods => "商品",
        Key::NavActivities => "活动",
        Key::NavCommunication => "交流",
        Key::NavMarketing => "推广",
        Key::NavReports => "报表",
        Key::NavStaff => "职员",
        Key::NavStores => "机构",
        Key::NavAudit => "操作日志",
        Key::SignedInAs => "当前登录",
        Key::Role => "角色",
        Key::StoreNode => "所属机构",
        Key::PermissionCount => "权限数量",
        Key::SystemHealth => "系统状态",
        Key::Database => "数据库",
        Key::Version => "版本",
        Key::HealthOk => "运行正常",
        Key::HealthBad => "异常",
        Key::ColUsername => "用户名",
        Key::ColName => "姓名",
        Key::ColStoreName => "名称",
        Key::ColRole => "角色",
        Key::ColStore => "所属机构",
        Key::ColStatus => "状态",
        Key::ColCode => "编码",
        Key::ColKind => "类型",
        Key::StatusActive => "在职",
        Key::StatusLeft => "已离职",
        Key::StatusLocked => "已锁定",
        Key::KindHq => "总部",
        Key::KindRegion => "区域",
        Key::KindStore => "门店",
        Key::ColTime => "时间",
        Key::ColActor => "操作人",
        Key::ColAction => "操作",
        Key::ColEntity => "对象",
        Key::ColIp => "IP",
        Key::ActionFilter => "按操作筛选",
        Key::ActionFilterPlaceholder => "例如 auth.login",
        Key::Search => "查询",
        Key::LoadMore => "加载更多",
        Key::NoMore => "没有更多了",
        Key::ActorSystem => "系统",
        Key::NavMemberImport => "会员导入导出",
        Key::ExportMembers => "导出会员（XLSX）",
        Key::ImportChooseFile => "第一步：选择文件",
        Key::ImportColumnsHint => "CSV 或 XLSX，第一行为表头。必填列：姓名、手机；可选：会员编号、门店编码、频率、类型、地区，以及性别、生日等资料项（按名称）。手机号已是会员的行不会重复建档。",
        Key::ImportPickFile => "选择文件…",
        Key::ImportCheck => "检查文件",
        Key::ImportChecking => "正在检查文件…",
        Key::ImportReport => "第二步：检查结果",
        Key::ImportRowsRead => "数据行",
        Key::ImportToCreate => "将新建会员",
        Key::ImportExisting => "已是会员",
        Key::ImportBadRows => "有误的行",
        Key::ImportIgnoredColumns => "未识别、将忽略的列：",
        Key::ImportBadRowsTitle => "有误的行",
        Key::ImportExistingTitle => "手机号已是会员（不重复建档）",
        Key::ImportListCut => "只列出前 1000 条。",
        Key::ImportConfirm => "确认导入 {n} 位新会员",
        Key::ImportSkipsBadRows => "有误的 {n} 行将被跳过。",
        Key::ImportNothingNew => "没有需要新建的会员。",
        Key::ImportRunning => "第三步：正在导入…",
        Key::ImportDone => "导入完成",
        Key::ImportStopped => "导入中断：已导入的会员保留，重新导入同一文件即可补全",
        Key::ImportCreated => "新建会员",
        Key::ImportSkipped => "跳过的行",
        Key::ColRow => "行号",
        Key::ColField => "字段",
        Key::ColReason => "原因",
    }
}

fn zh_tw(key: Key) -> &'static str {
    match key {
        Key::ProductName => "會員",
        Key::Language => "語言",
        Key::Logout => "登出",
        Key::Loading => "載入中…",
        Key::Retry => "重試",
        Key::ErrorTitle => "發生錯誤",
        Key::ForbiddenTitle => "沒有權限",
        Key::ForbiddenBody => "目前帳號無權存取此頁面。請改用有權限的帳號登入。",
        Key::SwitchAccount => "登出並切換帳號",
        Key::NotFoundTitle => "頁面不存在",
        Key::NotFoundBody => "您造訪的網址不存在或已移動。",
        Key::BackHome => "返回首頁",
        Key::Online => "連線",
        Key::Offline => "離線",
        Key::NoData => "暫無資料",
        Key::ComingSoon => "即將推出",
        Key::ErrInvalidCredentials => "使用者名稱或密碼錯誤",
        Key::ErrMemberInvalidCredentials => "手機號碼或密碼錯誤",
        Key::ErrAccountLocked => "帳號已鎖定，請15分鐘後再試",
        Key::ErrAccountDisabled => "帳號已停用，請聯絡管理員",
        Key::ErrUnauthenticated => "登入已失效，請重新登入",
        Key::ErrForbidden => "沒有權限執行此操作",
        Key::ErrInvalidInput => "輸入有誤，請檢查標示的項目",
        Key::ErrNotFound => "請求的內容不存在",
        Key::ErrInternal => "伺服器發生錯誤，請稍後再試",
        Key::ErrNetwork => "網路連線失敗，請檢查網路後重試",
        Key::ErrBadResponse => "伺服器回傳了無法辨識的資料",
        Key::ErrUnknown => "操作失敗，請稍後再試",
        Key::FieldRequired => "必填",
        Key::FieldTooLong => "內容過長",
        Key::FieldInvalidMobile => "手機號碼格式不正確",
        Key::FieldInvalidUsername => "使用者名稱格式不正確",
        Key::FieldInvalidCharacters => "含有無效字元",
        Key::LoginTitle => "職員登入",
        Key::LoginSubtitle => "會員 · 積分 · 儲值管理系統",
        Key::Username => "使用者名稱",
        Key::Password => "密碼",
        Key::RememberMe => "記住我",
        Key::LoginSubmit => "登入",
        Key::LoggingIn => "登入中…",
        Key::MemberEntry => "我是會員，查看積分與餘額",
        Key::PosTitle => "會員收銀",
        Key::Cashier => "收銀員",
        Key::MemberPanel => "會員",
        Key::MemberSearchPlaceholder => "手機號/卡號/姓名",
        Key::MemberSearchHint => "會員查詢即將推出",
        Key::WalkInCustomer => "散客（未識別會員）",
        Key::Cart => "購物車",
        Key::CartEmpty => "購物車是空的",
        Key::CartEmptyHint => "掃描商品條碼或輸入商品編碼開始收銀",
        Key::ItemCount => "件數",
        Key::Subtotal => "小計",
        Key::Discount => "優惠",
        Key::AmountDue => "應收",
        Key::Checkout => "收款",
        Key::HoldOrder => "掛單",
        Key::RecallOrder => "取單",
        Key::VoidOrder => "整單取消",
        Key::MemberCentre => "會員中心",
        Key::MemberLoginTitle => "會員登入",
        Key::Phone => "手機號碼",
        Key::MemberNo => "會員號",
        Key::Points => "積分",
        Key::Balance => "儲值餘額",
        Key::HqTitle => "總部管理",
        Key::NavOverview => "概覽",
        Key::NavMembers => "會員",
        Key::NavCards => "卡務",
        Key::NavPoints => "積分",
        Key::NavStoredValue => "儲值",
        Key::NavGoods => "商品",
        Key::NavActivities => "活動",
        Key::NavCommunication => "交流",
        Key::NavMarketing => "推廣",
        Key::NavReports => "報表",
        Key::NavStaff => "職員",
        Key::NavStores => "機構",
        Key::NavAudit => "操作日誌",
        Key::SignedInAs => "目前登入",
        Key::Role => "角色",
        Key::StoreNode => "所屬機構",
        Key::PermissionCount => "權限數量",
        Key::SystemHealth => "系統狀態",
        Key::Database => "資料庫",
        Key::Version => "版本",
        Key::HealthOk => "運作正常",
        Key::HealthBad => "異常",
        Key::ColUsername => "使用者名稱",
        Key::ColName => "姓名",
        Key::ColStoreName => "名称",
        Key::ColRole => "角色",
        Key::ColStore => "所屬機構",
        Key::ColStatus => "狀態",
        Key::ColCode => "編碼",
        Key::ColKind => "類型",
        Key::StatusActive => "在職",
        Key::StatusLeft => "已離職",
        Key::StatusLocked => "已鎖定",
        Key::KindHq => "總部",
        Key::KindRegion => "區域",
        Key::KindStore => "門市",
        Key::ColTime => "時間",
        Key::ColActor => "操作人",
        Key::ColAction => "操作",
        Key::ColEntity => "對象",
        Key::ColIp => "IP",
        Key::ActionFilter => "依操作篩選",
        Key::ActionFilterPlaceholder => "例如 auth.login",
        Key::Search => "查詢",
        Key::LoadMore => "載入更多",
        Key::NoMore => "沒有更多了",
        Key::ActorSystem => "系統",
        Key::NavMemberImport => "會員匯入匯出",
        Key::ExportMembers => "匯出會員（XLSX）",
        Key::ImportChooseFile => "第一步：選擇檔案",
        Key::ImportColumnsHint => "CSV 或 XLSX，第一列為表頭。必填欄：姓名、手機；可選：會員編號、門店編碼、頻率、類型、地區，以及性別、生日等資料項（按名稱）。手機號已是會員的列不會重複建檔。",
        Key::ImportPickFile => "選擇檔案…",
        Key::ImportCheck => "檢查檔案",
        Key::ImportChecking => "正在檢查檔案…",
        Key::ImportReport => "第二步：檢查結果",
        Key::ImportRowsRead => "資料列",
        Key::ImportToCreate => "將新建會員",
        Key::ImportExisting => "已是會員",
        Key::ImportBadRows => "有誤的列",
        Key::ImportIgnoredColumns => "未識別、將忽略的欄：",
        Key::ImportBadRowsTitle => "有誤的列",
        Key::ImportExistingTitle => "手機號已是會員（不重複建檔）",
        Key::ImportListCut => "只列出前 1000 筆。",
        Key::ImportConfirm => "確認匯入 {n} 位新會員",
        Key::ImportSkipsBadRows => "有誤的 {n} 列將被略過。",
        Key::ImportNothingNew => "沒有需要新建的會員。",
        Key::ImportRunning => "第三步：正在匯入…",
        Key::ImportDone => "匯入完成",
        Key::ImportStopped => "匯入中斷：已匯入的會員保留，重新匯入同一檔案即可補全",
        Key::ImportCreated => "新建會員",
        Key::ImportSkipped => "略過的列",
        Key::ColRow => "列號",
        Key::ColField => "欄位",
        Key::ColReason => "原因",
    }
}

fn en(key: Key) -> &'static str {
    match key {
        Key::ProductName => "Huiyuan",
        Key::Language => "Language",
        Key::Logout => "Log out",
        Key::Loading => "Loading…",
        Key::Retry => "Retry",
        Key::ErrorTitle => "Something went wrong",
        Key::ForbiddenTitle => "No permission",
        Key::ForbiddenBody => {
            "This account may not open this page. Log in with an account that may."
        }
        Key::SwitchAccount => "Log out and switch account",
        Key::NotFoundTitle => "Page not found",
        Key::NotFoundBody => "The address does not exist or has moved.",
        Key::BackHome => "Back to start",
        Key::Online => "Online",
        Key::Offline => "Offline",
        Key::NoData => "Nothing here yet",
        Key::ComingSoon => "Soon",
        Key::ErrInvalidCredentials => "Wrong username or password",
        Key::ErrMemberInvalidCredentials => "Wrong mobile number or password",
        Key::ErrAccountLocked => "Account locked. Try again in 15 minutes",
        Key::ErrAccountDisabled => "Account disabled. Please contact your administrator",
        Key::ErrUnauthenticated => "Your session has ended. Please log in again",
        Key::ErrForbidden => "You do not have permission to do this",
        Key::ErrInvalidInput => "Please check the marked fields",
        Key::ErrNotFound => "Not found",
        Key::ErrInternal => "Server error. Please try again later",
        Key::ErrNetwork => "Network connection failed. Check the network and retry",
        Key::ErrBadResponse => "The server sent an answer the client cannot read",
        Key::ErrUnknown => "The operation failed. Please try again later",
        Key::FieldRequired => "Required",
        Key::FieldTooLong => "Too long",
        Key::FieldInvalidMobile => "Not a valid mobile number",
        Key::FieldInvalidUsername => "Not a valid username",
        Key::FieldInvalidCharacters => "Contains invalid characters",
        Key::LoginTitle => "Staff login",
        Key::LoginSubtitle => "Membership · points · stored value",
        Key::Username => "Username",
        Key::Password => "Password",
        Key::RememberMe => "Remember me",
        Key::LoginSubmit => "Log in",
        Key::LoggingIn => "Logging in…",
        Key::MemberEntry => "I am a member: see my points and balance",
        Key::PosTitle => "Huiyuan POS",
        Key::Cashier => "Cashier",
        Key::MemberPanel => "Member",
        Key::MemberSearchPlaceholder => "Phone / card no. / name",
        Key::MemberSearchHint => "Member search is coming soon",
        Key::WalkInCustomer => "Walk-in customer (no member)",
        Key::Cart => "Cart",
        Key::CartEmpty => "The cart is empty",
        Key::CartEmptyHint => "Scan a barcode or enter an item code to start",
        Key::ItemCount => "Items",
        Key::Subtotal => "Subtotal",
        Key::Discount => "Discount",
        Key::AmountDue => "Amount due",
        Key::Checkout => "Take payment",
        Key::HoldOrder => "Hold",
        Key::RecallOrder => "Recall",
        Key::VoidOrder => "Void sale",
        Key::MemberCentre => "My membership",
        Key::MemberLoginTitle => "Member login",
        Key::Phone => "Mobile number",
        Key::MemberNo => "Member no.",
        Key::Points => "Points",
        Key::Balance => "Stored value",
        Key::HqTitle => "Head office",
        Key::NavOverview => "Overview",
        Key::NavMembers => "Members",
        Key::NavCards => "Cards",
        Key::NavPoints => "Points",
        Key::NavStoredValue => "Stored value",
        Key::NavGoods => "Goods",
        Key::NavActivities => "Activities",
        Key::NavCommunication => "Messages",
        Key::NavMarketing => "Marketing",
        Key::NavReports => "Reports",
        Key::NavStaff => "Staff",
        Key::NavStores => "Stores",
        Key::NavAudit => "Audit log",
        Key::SignedInAs => "Signed in as",
        Key::Role => "Role",
        Key::StoreNode => "Store",
        Key::PermissionCount => "Permissions",
        Key::SystemHealth => "System health",
        Key::Database => "Database",
        Key::Version => "Version",
        Key::HealthOk => "Healthy",
        Key::HealthBad => "Unhealthy",
        Key::ColUsername => "Username",
        Key::ColName => "Name",
        Key::ColStoreName => "Name",
        Key::ColRole => "Role",
        Key::ColStore => "Store",
        Key::ColStatus => "Status",
        Key::ColCode => "Code",
        Key::ColKind => "Kind",
        Key::StatusActive => "Active",
        Key::StatusLeft => "Left",
        Key::StatusLocked => "Locked",
        Key::KindHq => "Head office",
        Key::KindRegion => "Region",
        Key::KindStore => "Store",
        Key::ColTime => "Time",
        Key::ColActor => "Actor",
        Key::ColAction => "Action",
        Key::ColEntity => "Entity",
        Key::ColIp => "IP",
        Key::ActionFilter => "Filter by action",
        Key::ActionFilterPlaceholder => "e.g. auth.login",
        Key::Search => "Search",
        Key::LoadMore => "Load more",
        Key::NoMore => "No more entries",
        Key::ActorSystem => "System",
        Key::NavMemberImport => "Member import & export",
        Key::ExportMembers => "Export members (XLSX)",
        Key::ImportChooseFile => "Step 1: choose a file",
        Key::ImportColumnsHint => "CSV or XLSX with a header row. Required columns: 姓名 (name), 手机 (phone); optional: 会员编号, 门店编码, 频率, 类型, 地区 and profile fields such as 性别 and 生日, by label. Rows whose phone is already a member's create nothing.",
        Key::ImportPickFile => "Choose file…",
        Key::ImportCheck => "Check file",
        Key::ImportChecking => "Checking the file…",
        Key::ImportReport => "Step 2: check report",
        Key::ImportRowsRead => "Rows read",
        Key::ImportToCreate => "New members",
        Key::ImportExisting => "Already members",
        Key::ImportBadRows => "Rows with errors",
        Key::ImportIgnoredColumns => "Columns not recognised, ignored:",
        Key::ImportBadRowsTitle => "Rows with errors",
        Key::ImportExistingTitle => "Phone already a member's (not created again)",
        Key::ImportListCut => "Only the first 1,000 are listed.",
        Key::ImportConfirm => "Import {n} new members",
        Key::ImportSkipsBadRows => "The {n} rows with errors will be skipped.",
        Key::ImportNothingNew => "There are no new members to create.",
        Key::ImportRunning => "Step 3: importing…",
        Key::ImportDone => "Import finished",
        Key::ImportStopped => "Import stopped: members already written stay; import the same file again to finish",
        Key::ImportCreated => "Members created",
        Key::ImportSkipped => "Rows skipped",
        Key::ColRow => "Row",
        Key::ColField => "Field",
        Key::ColReason => "Reason",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Language tags round-trip, so a stored choice is applied again on reload.
    #[test]
    fn language_tags_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
        assert_eq!(Lang::from_tag("fr"), None);
    }

    /// The login error the tests look for is the agreed Chinese wording.
    #[test]
    fn invalid_credentials_reads_in_chinese() {
        assert_eq!(
            text(Lang::ZhCn, Key::ErrInvalidCredentials),
            "用户名或密码错误"
        );
    }
}
