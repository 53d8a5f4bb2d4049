//! The audit log's action ids (`approval.decide`, `person.read`…) with their Chinese names, for
//! pages and exports. An id not listed here is shown as it is.

/// (action id, Chinese name), by id.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("account.statement", "查询个人账户对账单"),
    ("agency_account.set", "设置经办机构支出户"),
    ("approval.decide", "审批决定"),
    ("approval.read", "查看审批"),
    ("approval.submit", "提交审批"),
    ("audit.archive", "归档审计日志"),
    ("audit.archive_verify", "核验审计归档"),
    ("audit.export", "导出审计日志"),
    ("audit.read", "查阅审计日志"),
    ("auth.login", "登录"),
    ("auth.logout", "退出登录"),
    ("auth.session_end", "会话结束"),
    ("backup.create", "数据库备份"),
    ("backup.restore", "数据库恢复"),
    ("backup.restore_point", "创建恢复点"),
    ("bank_returns.read", "读取银行回执"),
    ("benefit.recompute", "待遇重新核定"),
    ("budget.adjust", "预算调整"),
    ("budget.comment", "预算意见"),
    ("budget.decide", "预算审批"),
    ("budget.draft", "预算草案"),
    ("budget.edit", "预算修改"),
    ("budget.review", "预算审核"),
    ("budget.submit", "预算报送"),
    ("central.advance", "中央调剂基金预缴预拨"),
    ("central.allocate", "中央调剂基金拨付"),
    ("central.pooling", "全国统筹上解下拨"),
    ("central.read", "查看中央调剂/全国统筹"),
    ("central.remit", "中央调剂金上解"),
    ("central.settle", "中央调剂基金年终清算"),
    ("certification.import", "导入认证记录"),
    ("certification.record", "资格认证"),
    ("crosscheck.run", "数据比对"),
    ("deaths.claim", "丧葬抚恤申领"),
    ("deaths.import", "导入死亡记录"),
    ("dues.export", "导出应缴明细"),
    ("fund_plan.decide", "用款计划批复"),
    ("gap.compute", "缺口分担测算"),
    ("gap.settle", "缺口分担结算"),
    ("http.forbidden", "拒绝访问"),
    ("http.rate_limited", "请求过于频繁"),
    ("import.file", "导入文件"),
    ("income.record", "登记其他收入"),
    ("ledger.export", "导出基金账簿"),
    ("ledger.read", "查看基金账簿"),
    ("migrate.denied", "迁移被拒"),
    ("migrate.load", "历史数据迁移"),
    ("migrate.review", "迁移复核"),
    ("month.run", "月度运行"),
    ("period.close", "结账"),
    ("period.reopen", "反结账"),
    ("period.reopen_request", "申请反结账"),
    ("person.read", "查询参保人"),
    ("person.read_own", "查询本人记录"),
    ("person.search", "按姓名查找参保人"),
    ("person.write", "参保人登记变更"),
    ("recovery.repay", "登记退回款"),
    ("recovery.write_off", "核销"),
    ("recovery.write_off_proposed", "申请核销"),
    ("report.read", "查看报表"),
    ("reserve.read", "查看储备基金"),
    ("reserve.register", "登记划转国有股权"),
    ("reserve.return", "登记储备基金收益"),
    ("reserve.use", "动用储备基金"),
    ("reserve.use_proposed", "提出动用储备基金"),
    ("reserve.use_rejected", "驳回动用储备基金"),
    ("retirement.award", "退休待遇核定"),
    ("roll.import", "导入发放名册"),
    ("transfer.in", "转移接续转入"),
    ("transfer.out", "转移接续转出"),
    ("user.activate", "启用账户"),
    ("user.add", "新增用户"),
    ("user.deactivate", "停用账户"),
    ("user.list", "查看用户"),
    ("user.password", "重置密码"),
    ("user.role", "变更角色"),
    ("user.totp_begin", "开始绑定动态验证码"),
    ("user.totp_disable", "解除动态验证码"),
    ("user.totp_enable", "启用动态验证码"),
    ("user.unlock", "解锁账户"),
];

/// The Chinese name of an action id, if it is known.
pub fn label_zh(action: &str) -> Option<&'static str> {
    CATALOGUE
        .binary_search_by(|(id, _)| (*id).cmp(action))
        .ok()
        .map(|i| CATALOGUE[i].1)
}

/// The Chinese name, or the id itself when it is not known.
pub fn display(action: &str) -> &str {
    label_zh(action).unwrap_or(action)
}

/// `ok` → 成功, `denied` → 拒绝, `failed` → 失败, `error` → 出错; others as they are.
pub fn result_zh(result: &str) -> &str {
    match result {
        "ok" => "成功",
        "denied" => "拒绝",
        "failed" => "失败",
        "error" => "出错",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_sorted_and_falls_back_to_the_id() {
        assert!(
            CATALOGUE.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, unique"
        );
        assert_eq!(display("approval.decide"), "审批决定");
        assert_eq!(display("fund_plan.decide"), "用款计划批复");
        assert_eq!(display("something.new"), "something.new");
        assert_eq!(result_zh("denied"), "拒绝");
    }
}
