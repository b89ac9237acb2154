//! Named operation permissions (SYS-1). Every API endpoint declares the one it needs; a
//! staff member holds the permissions of their role plus any granted to them alone, and
//! only within the stores their account is scoped to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! permissions {
    ($($variant:ident => $code:literal, $label:literal;)*) => {
        /// One operation a staff member may be allowed to do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $($variant,)*
        }

        impl Permission {
            /// Every permission, in a stable order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The stable code stored in the database and sent on the wire.
            pub fn code(self) -> &'static str {
                match self {
                    $(Permission::$variant => $code,)*
                }
            }

            /// What the permission allows, in Simplified Chinese, for the roles screen.
            pub fn label(self) -> &'static str {
                match self {
                    $(Permission::$variant => $label,)*
                }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(code: &str) -> Result<Self, Self::Err> {
                match code {
                    $($code => Ok(Permission::$variant),)*
                    _ => Err(UnknownPermission(code.to_owned())),
                }
            }
        }
    };
}

permissions! {
    PosUse => "pos.use", "使用收银台";
    PosDiscountLine => "pos.discount_line", "单品改价/折扣";
    PosReturn => "pos.return", "消费退货";
    PosShiftClose => "pos.shift_close", "交班结算";
    HqUse => "hq.use", "进入总部管理";
    MemberView => "member.view", "查看会员";
    MemberRegister => "member.register", "登记会员";
    MemberEdit => "member.edit", "修改会员资料";
    MemberDelete => "member.delete", "删除/归档会员";
    MemberApprove => "member.approve", "审核会员";
    MemberImport => "member.import", "批量导入会员";
    MemberExport => "member.export", "导出会员";
    MemberMerge => "member.merge", "合并会员";
    MemberUpgrade => "member.upgrade", "会员升级/延期";
    CardIssue => "card.issue", "办卡/补卡/换卡";
    CardFreeze => "card.freeze", "挂失/冻结";
    CardClose => "card.close", "退卡";
    CardStock => "card.stock", "卡库存管理";
    PointsAdjust => "points.adjust", "积分调整/补记";
    PointsRedeem => "points.redeem", "积分兑换";
    ValueTopUp => "value.topup", "储值充值";
    ValueDeduct => "value.deduct", "储值扣款";
    ValueRefund => "value.refund", "储值退款/提现";
    SaleCreate => "sale.create", "收银消费";
    CatalogueView => "catalogue.view", "查看商品";
    CatalogueEdit => "catalogue.edit", "维护商品";
    RulesEdit => "rules.edit", "维护积分/储值规则";
    ReportView => "report.view", "查看报表";
    ReportExport => "report.export", "导出报表";
    StaffView => "staff.view", "查看职员";
    StaffManage => "staff.manage", "管理职员与权限";
    StoreManage => "store.manage", "管理机构与门店";
    AuditView => "audit.view", "查看操作日志";
    SystemBackup => "system.backup", "备份与恢复";
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission: {0}")]
pub struct UnknownPermission(pub String);

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

/// The roles every new organisation starts with. HQ may change their permissions later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinRole {
    Admin,
    Manager,
    Cashier,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 3] = [
        BuiltinRole::Admin,
        BuiltinRole::Manager,
        BuiltinRole::Cashier,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "admin",
            BuiltinRole::Manager => "manager",
            BuiltinRole::Cashier => "cashier",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "系统管理员",
            BuiltinRole::Manager => "店长/经理",
            BuiltinRole::Cashier => "收银员",
        }
    }

    /// The permissions a role starts with.
    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        match self {
            BuiltinRole::Admin => Permission::ALL.to_vec(),
            BuiltinRole::Manager => Permission::ALL
                .iter()
                .copied()
                .filter(|p| !matches!(p, SystemBackup | StoreManage | StaffManage))
                .collect(),
            BuiltinRole::Cashier => vec![
                PosUse,
                PosShiftClose,
                MemberView,
                MemberRegister,
                CardIssue,
                PointsRedeem,
                ValueTopUp,
                ValueDeduct,
                SaleCreate,
                CatalogueView,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<&str> = Permission::ALL.iter().map(|p| p.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Permission::ALL.len());
        for permission in Permission::ALL {
            assert_eq!(permission.code().parse::<Permission>(), Ok(*permission));
        }
        assert!("nope".parse::<Permission>().is_err());
    }

    /// A cashier can sell but cannot reach HQ or manage staff.
    #[test]
    fn builtin_roles_separate_duties() {
        let cashier = BuiltinRole::Cashier.permissions();
        assert!(cashier.contains(&Permission::PosUse));
        assert!(!cashier.contains(&Permission::HqUse));
        assert!(!BuiltinRole::Manager
            .permissions()
            .contains(&Permission::StaffManage));
        assert_eq!(
            BuiltinRole::Admin.permissions().len(),
            Permission::ALL.len()
        );
    }
}
