//! The audit log's action ids (`approval.decide`, `person.read`…) with their names, for pages,
//! exports and the command line, from the message catalogue (`crate::i18n`, `action-…` and
//! `result-…`). An id the catalogue does not name is shown as it is.

use crate::i18n::{self, Lang};

/// Every action id the catalogue names (`data/messages/*.ftl`, `action-…`), by id.
pub fn known() -> Vec<&'static str> {
    static IDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let mut v: Vec<&'static str> = i18n::ids(Lang::ZhCn)
            .iter()
            .filter_map(|id| id.strip_prefix("action-"))
            .map(|a| &*Box::leak(a.replacen('-', ".", 1).into_boxed_str()))
            .collect();
        v.sort_unstable();
        v
    })
    .clone()
}

/// The name of an action id in `lang`, if it is known.
pub fn label(lang: Lang, action: &str) -> Option<&'static str> {
    i18n::text(lang, &i18n::action_id(action))
}

/// The Chinese name of an action id, if it is known.
pub fn label_zh(action: &str) -> Option<&'static str> {
    label(Lang::ZhCn, action)
}

/// The Chinese name, or the id itself when it is not known.
pub fn display(action: &str) -> &str {
    label_zh(action).unwrap_or(action)
}

/// The name in `lang`, or the id itself when it is not known.
pub fn display_in(lang: Lang, action: &str) -> &str {
    label(lang, action).unwrap_or(action)
}

/// An outcome's name in `lang` (`ok`, `denied`, `failed`, `error`); others as they are.
pub fn result_label(lang: Lang, result: &str) -> &str {
    i18n::text(lang, &format!("result-{result}")).unwrap_or(result)
}

/// `ok` → 成功, `denied` → 拒绝, `failed` → 失败, `error` → 出错; others as they are.
pub fn result_zh(result: &str) -> &str {
    result_label(Lang::ZhCn, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_actions_and_falls_back_to_the_id() {
        let known = known();
        assert!(known.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
        assert!(known.contains(&"fund_plan.decide"), "{known:?}");
        assert_eq!(label(Lang::En, "approval.decide"), Some("Approval: decide"));
        assert_eq!(result_label(Lang::En, "ok"), "Succeeded");
        assert_eq!(display("approval.decide"), "审批决定");
        assert_eq!(display("fund_plan.decide"), "用款计划批复");
        assert_eq!(display("something.new"), "something.new");
        assert_eq!(result_zh("denied"), "拒绝");
    }
}
