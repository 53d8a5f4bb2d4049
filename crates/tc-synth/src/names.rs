//! Name material: common Chinese surnames (with rough weights, heavier for the surnames frequent in
//! Shanxi), given-name characters, employer name words and industries. Synthetic names only.

use crate::rng::{Rng, Weighted};
use std::sync::OnceLock;

/// (surname, weight). The weights are synthetic: the national top surnames in roughly their
/// order, with Shanxi-typical surnames (郭, 武, 贾, 郝, 闫, 段, 薛, 乔, 霍, 卫 …) raised.
pub const SURNAMES: &[(&str, u32)] = &[
    ("王", 760),
    ("李", 700),
    ("张", 680),
    ("刘", 560),
    ("杨", 330),
    ("赵", 300),
    ("郭", 260),
    ("陈", 220),
    ("武", 180),
    ("贾", 170),
    ("高", 160),
    ("梁", 150),
    ("郝", 140),
    ("韩", 140),
    ("冯", 130),
    ("田", 120),
    ("白", 120),
    ("马", 120),
    ("牛", 110),
    ("宋", 100),
    ("孙", 100),
    ("闫", 100),
    ("段", 90),
    ("薛", 90),
    ("周", 90),
    ("吴", 80),
    ("任", 80),
    ("乔", 80),
    ("胡", 80),
    ("史", 70),
    ("程", 70),
    ("许", 70),
    ("董", 70),
    ("秦", 60),
    ("曹", 60),
    ("徐", 60),
    ("朱", 60),
    ("何", 60),
    ("霍", 60),
    ("卫", 50),
    ("康", 50),
    ("孟", 50),
    ("侯", 50),
    ("范", 50),
    ("苏", 50),
    ("魏", 50),
    ("吕", 50),
    ("崔", 50),
    ("温", 50),
    ("原", 40),
    ("黄", 40),
    ("罗", 40),
    ("林", 40),
    ("郑", 40),
    ("谢", 40),
    ("唐", 40),
    ("邓", 30),
    ("彭", 30),
    ("曾", 30),
    ("肖", 30),
    ("袁", 30),
    ("潘", 30),
    ("于", 30),
    ("蒋", 30),
    ("蔡", 30),
    ("余", 30),
    ("杜", 40),
    ("叶", 30),
    ("丁", 30),
    ("沈", 30),
    ("姚", 30),
    ("卢", 30),
    ("姜", 30),
    ("钟", 20),
    ("陆", 20),
    ("汪", 20),
    ("金", 20),
    ("石", 30),
    ("夏", 20),
    ("付", 30),
    ("方", 20),
    ("邹", 20),
    ("熊", 20),
    ("尹", 30),
    ("雷", 20),
    ("龙", 20),
    ("陶", 20),
    ("贺", 30),
    ("毛", 20),
    ("常", 40),
    ("申", 30),
    ("安", 30),
    ("靳", 30),
    ("阎", 20),
    ("裴", 30),
    ("柴", 20),
    ("景", 20),
    ("司马", 3),
    ("欧阳", 3),
    ("令狐", 2),
];

pub const MALE_GIVEN: &[&str] = &[
    "伟", "强", "军", "磊", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宁", "亮", "浩", "宇", "俊", "峰", "建", "国", "志", "文", "晨", "阳", "晓", "海",
    "林", "东", "亚", "春", "云", "龙", "永", "晋", "瑞", "振", "兵", "彬", "旭", "泽", "凯", "博",
    "轩", "睿", "毅", "健", "成", "胜", "利", "庆", "保", "忠", "喜", "福", "满", "贵", "根", "生",
    "德", "山", "江", "宏", "昊", "子", "天", "嘉", "思", "一", "新",
];

pub const FEMALE_GIVEN: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "萍", "红", "梅", "琳", "慧", "婷",
    "雪", "颖", "丹", "倩", "洁", "璐", "晶", "媛", "悦", "欣", "佳", "怡", "蕾", "雅", "琴", "莉",
    "英", "兰", "凤", "秀", "珍", "翠", "桂", "春", "晓", "文", "月", "云", "美", "爱", "玉", "淑",
    "荣", "彩", "子", "涵", "诗", "梦", "雨", "思", "可", "欣", "妍", "晨",
];

/// Brand words for employer names (synthetic).
pub const BRANDS: &[&str] = &[
    "晋丰", "鑫源", "华泰", "宏达", "恒通", "汇元", "锦程", "瑞丰", "金鼎", "同兴", "永昌", "昌盛",
    "晋华", "三晋", "太行", "汾河", "吕梁", "黄河", "龙城", "并州", "晋阳", "中兴", "兴盛", "广源",
    "德隆", "泰和", "恒源", "鼎盛", "天成", "万通", "宏远", "正大", "新华", "长城", "利民", "安泰",
    "嘉禾", "富源", "诚信", "众合", "盛世", "晋韵", "云冈", "五台", "壶口", "绵山", "平遥", "王家",
    "晋商", "乔家", "常家", "东方", "北方", "西山", "南风", "华通", "顺达", "合力", "创新", "智远",
    "博远", "精工", "联创", "晋能",
];

/// One GB/T 4754-2017 industry section as used here.
#[derive(Clone, Copy, Debug)]
pub struct Industry {
    /// Section letter (A-R).
    pub code: &'static str,
    pub name: &'static str,
    /// Words that end an employer name in this industry.
    pub nouns: &'static [&'static str],
    /// Relative share of employers (synthetic).
    pub weight: u32,
    /// Whether employers of this section tend to be large (mining, utilities, finance).
    pub large: bool,
}

pub const INDUSTRIES: &[Industry] = &[
    Industry {
        code: "A",
        name: "农、林、牧、渔业",
        nouns: &["农业科技", "养殖", "林业"],
        weight: 300,
        large: false,
    },
    Industry {
        code: "B",
        name: "采矿业",
        nouns: &["煤业", "矿业", "煤矿"],
        weight: 400,
        large: true,
    },
    Industry {
        code: "C",
        name: "制造业",
        nouns: &["机械制造", "化工", "钢铁", "焦化", "食品", "建材", "铸造"],
        weight: 1800,
        large: false,
    },
    Industry {
        code: "D",
        name: "电力、热力、燃气及水生产和供应业",
        nouns: &["电力", "热力", "燃气", "供水"],
        weight: 200,
        large: true,
    },
    Industry {
        code: "E",
        name: "建筑业",
        nouns: &["建筑工程", "建设", "路桥工程"],
        weight: 1000,
        large: false,
    },
    Industry {
        code: "F",
        name: "批发和零售业",
        nouns: &["商贸", "贸易", "超市", "医药连锁"],
        weight: 2500,
        large: false,
    },
    Industry {
        code: "G",
        name: "交通运输、仓储和邮政业",
        nouns: &["物流", "运输", "客运"],
        weight: 500,
        large: false,
    },
    Industry {
        code: "H",
        name: "住宿和餐饮业",
        nouns: &["餐饮", "酒店", "饭店"],
        weight: 800,
        large: false,
    },
    Industry {
        code: "I",
        name: "信息传输、软件和信息技术服务业",
        nouns: &["科技", "网络科技", "信息技术"],
        weight: 300,
        large: false,
    },
    Industry {
        code: "J",
        name: "金融业",
        nouns: &["投资", "担保", "融资租赁"],
        weight: 100,
        large: true,
    },
    Industry {
        code: "K",
        name: "房地产业",
        nouns: &["房地产开发", "物业管理", "置业"],
        weight: 400,
        large: false,
    },
    Industry {
        code: "L",
        name: "租赁和商务服务业",
        nouns: &["商务咨询", "人力资源", "广告"],
        weight: 800,
        large: false,
    },
    Industry {
        code: "M",
        name: "科学研究和技术服务业",
        nouns: &["工程设计", "检测", "技术服务"],
        weight: 300,
        large: false,
    },
    Industry {
        code: "N",
        name: "水利、环境和公共设施管理业",
        nouns: &["环保", "环境工程", "园林"],
        weight: 100,
        large: false,
    },
    Industry {
        code: "O",
        name: "居民服务、修理和其他服务业",
        nouns: &["家政服务", "汽车维修", "洗浴"],
        weight: 400,
        large: false,
    },
    Industry {
        code: "P",
        name: "教育",
        nouns: &["培训学校", "教育咨询"],
        weight: 100,
        large: false,
    },
    Industry {
        code: "Q",
        name: "卫生和社会工作",
        nouns: &["医院", "诊所", "养老服务"],
        weight: 200,
        large: false,
    },
    Industry {
        code: "R",
        name: "文化、体育和娱乐业",
        nouns: &["文化传媒", "体育", "影视"],
        weight: 100,
        large: false,
    },
];

pub(crate) struct NameTables {
    pub surnames: Weighted,
}

pub(crate) fn tables() -> &'static NameTables {
    static T: OnceLock<NameTables> = OnceLock::new();
    T.get_or_init(|| NameTables {
        surnames: Weighted::new(SURNAMES.iter().map(|(_, w)| *w as u64)),
    })
}

/// A person's name drawn as indices: (surname, first given, second given or 255 for none).
pub(crate) fn draw_name(rng: &mut Rng, female: bool) -> (u8, [u8; 2]) {
    let s = tables().surnames.pick(rng).unwrap_or(0) as u8;
    let pool = if female {
        FEMALE_GIVEN.len()
    } else {
        MALE_GIVEN.len()
    } as u64;
    let g1 = rng.below(pool) as u8;
    let g2 = if rng.chance(7_000) {
        rng.below(pool) as u8
    } else {
        u8::MAX
    };
    (s, [g1, g2])
}

/// Render a name from its indices.
pub fn render_name(surname: u8, given: [u8; 2], female: bool) -> String {
    let pool = if female { FEMALE_GIVEN } else { MALE_GIVEN };
    let mut s = String::with_capacity(12);
    s.push_str(SURNAMES.get(surname as usize).map(|x| x.0).unwrap_or("王"));
    for g in given {
        if let Some(c) = pool.get(g as usize) {
            s.push_str(c);
        }
    }
    s
}

/// The short form of a county name used in employer names: "小店区" → "小店", "沁县" stays.
pub fn short_place(name: &str) -> &str {
    if name.chars().count() >= 3 {
        for suffix in ["区", "县", "市"] {
            if let Some(s) = name.strip_suffix(suffix) {
                return s;
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_render() {
        assert_eq!(render_name(0, [0, 255], false), "王伟");
        assert_eq!(render_name(1, [0, 1], true), "李芳娜");
        assert_eq!(short_place("小店区"), "小店");
        assert_eq!(short_place("沁县"), "沁县");
        assert_eq!(short_place("古交市"), "古交");
        assert!(SURNAMES.len() < 255 && MALE_GIVEN.len() < 255 && FEMALE_GIVEN.len() < 255);
        assert!(BRANDS.len() < 256);
    }
}
