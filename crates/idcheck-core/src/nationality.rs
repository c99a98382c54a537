//! Nationality codes of the 2023 foreigners' permanent residence ID (digits 4–6 of the number).
//!
//! Hand-written, not generated: the numeric and alpha-3 codes of ISO 3166-1 with the Chinese
//! short names of GB/T 2659.1-2022 (世界各国和地区及其行政区划名称代码 第1部分：国家和地区代码,
//! in force since 2023-02-01, which takes its codes from ISO 3166-1). The list reflects ISO
//! 3166-1 as maintained through 2024: 249 code elements. No numeric or alpha-3 code has been
//! added, withdrawn or changed since 728 (SSD, South Sudan) in 2011; later changes were of names
//! only (CZE Czechia 2016, SWZ Eswatini 2018, MKD North Macedonia 2019, TUR Türkiye 2022), and
//! the withdrawn 530 (ANT, Netherlands Antilles, 2010) is not listed. The Chinese names are the
//! short forms the standard uses (`美国`, `英国`, `刚果（布）`), typed by hand.

use std::fmt;

/// One assigned ISO 3166-1 code element.
struct Country {
    numeric: u16,
    alpha3: &'static str,
    name_zh: &'static str,
}

const fn c(numeric: u16, alpha3: &'static str, name_zh: &'static str) -> Country {
    Country {
        numeric,
        alpha3,
        name_zh,
    }
}

/// ISO 3166-1 numeric, alpha-3, GB/T 2659 Chinese short name; ascending by numeric code.
static COUNTRIES: [Country; 249] = [
    c(4, "AFG", "阿富汗"),
    c(8, "ALB", "阿尔巴尼亚"),
    c(10, "ATA", "南极洲"),
    c(12, "DZA", "阿尔及利亚"),
    c(16, "ASM", "美属萨摩亚"),
    c(20, "AND", "安道尔"),
    c(24, "AGO", "安哥拉"),
    c(28, "ATG", "安提瓜和巴布达"),
    c(31, "AZE", "阿塞拜疆"),
    c(32, "ARG", "阿根廷"),
    c(36, "AUS", "澳大利亚"),
    c(40, "AUT", "奥地利"),
    c(44, "BHS", "巴哈马"),
    c(48, "BHR", "巴林"),
    c(50, "BGD", "孟加拉国"),
    c(51, "ARM", "亚美尼亚"),
    c(52, "BRB", "巴巴多斯"),
    c(56, "BEL", "比利时"),
    c(60, "BMU", "百慕大"),
    c(64, "BTN", "不丹"),
    c(68, "BOL", "玻利维亚"),
    c(70, "BIH", "波黑"),
    c(72, "BWA", "博茨瓦纳"),
    c(74, "BVT", "布维岛"),
    c(76, "BRA", "巴西"),
    c(84, "BLZ", "伯利兹"),
    c(86, "IOT", "英属印度洋领地"),
    c(90, "SLB", "所罗门群岛"),
    c(92, "VGB", "英属维尔京群岛"),
    c(96, "BRN", "文莱"),
    c(100, "BGR", "保加利亚"),
    c(104, "MMR", "缅甸"),
    c(108, "BDI", "布隆迪"),
    c(112, "BLR", "白俄罗斯"),
    c(116, "KHM", "柬埔寨"),
    c(120, "CMR", "喀麦隆"),
    c(124, "CAN", "加拿大"),
    c(132, "CPV", "佛得角"),
    c(136, "CYM", "开曼群岛"),
    c(140, "CAF", "中非"),
    c(144, "LKA", "斯里兰卡"),
    c(148, "TCD", "乍得"),
    c(152, "CHL", "智利"),
    c(156, "CHN", "中国"),
    c(158, "TWN", "中国台湾"),
    c(162, "CXR", "圣诞岛"),
    c(166, "CCK", "科科斯（基林）群岛"),
    c(170, "COL", "哥伦比亚"),
    c(174, "COM", "科摩罗"),
    c(175, "MYT", "马约特"),
    c(178, "COG", "刚果（布）"),
    c(180, "COD", "刚果（金）"),
    c(184, "COK", "库克群岛"),
    c(188, "CRI", "哥斯达黎加"),
    c(191, "HRV", "克罗地亚"),
    c(192, "CUB", "古巴"),
    c(196, "CYP", "塞浦路斯"),
    c(203, "CZE", "捷克"),
    c(204, "BEN", "贝宁"),
    c(208, "DNK", "丹麦"),
    c(212, "DMA", "多米尼克"),
    c(214, "DOM", "多米尼加"),
    c(218, "ECU", "厄瓜多尔"),
    c(222, "SLV", "萨尔瓦多"),
    c(226, "GNQ", "赤道几内亚"),
    c(231, "ETH", "埃塞俄比亚"),
    c(232, "ERI", "厄立特里亚"),
    c(233, "EST", "爱沙尼亚"),
    c(234, "FRO", "法罗群岛"),
    c(238, "FLK", "马尔维纳斯群岛（福克兰）"),
    c(239, "SGS", "南乔治亚岛和南桑德韦奇岛"),
    c(242, "FJI", "斐济"),
    c(246, "FIN", "芬兰"),
    c(248, "ALA", "奥兰群岛"),
    c(250, "FRA", "法国"),
    c(254, "GUF", "法属圭亚那"),
    c(258, "PYF", "法属波利尼西亚"),
    c(260, "ATF", "法属南部领地"),
    c(262, "DJI", "吉布提"),
    c(266, "GAB", "加蓬"),
    c(268, "GEO", "格鲁吉亚"),
    c(270, "GMB", "冈比亚"),
    c(275, "PSE", "巴勒斯坦"),
    c(276, "DEU", "德国"),
    c(288, "GHA", "加纳"),
    c(292, "GIB", "直布罗陀"),
    c(296, "KIR", "基里巴斯"),
    c(300, "GRC", "希腊"),
    c(304, "GRL", "格陵兰"),
    c(308, "GRD", "格林纳达"),
    c(312, "GLP", "瓜德罗普"),
    c(316, "GUM", "关岛"),
    c(320, "GTM", "危地马拉"),
    c(324, "GIN", "几内亚"),
    c(328, "GUY", "圭亚那"),
    c(332, "HTI", "海地"),
    c(334, "HMD", "赫德岛和麦克唐纳岛"),
    c(336, "VAT", "梵蒂冈"),
    c(340, "HND", "洪都拉斯"),
    c(344, "HKG", "中国香港"),
    c(348, "HUN", "匈牙利"),
    c(352, "ISL", "冰岛"),
    c(356, "IND", "印度"),
    c(360, "IDN", "印度尼西亚"),
    c(364, "IRN", "伊朗"),
    c(368, "IRQ", "伊拉克"),
    c(372, "IRL", "爱尔兰"),
    c(376, "ISR", "以色列"),
    c(380, "ITA", "意大利"),
    c(384, "CIV", "科特迪瓦"),
    c(388, "JAM", "牙买加"),
    c(392, "JPN", "日本"),
    c(398, "KAZ", "哈萨克斯坦"),
    c(400, "JOR", "约旦"),
    c(404, "KEN", "肯尼亚"),
    c(408, "PRK", "朝鲜"),
    c(410, "KOR", "韩国"),
    c(414, "KWT", "科威特"),
    c(417, "KGZ", "吉尔吉斯斯坦"),
    c(418, "LAO", "老挝"),
    c(422, "LBN", "黎巴嫩"),
    c(426, "LSO", "莱索托"),
    c(428, "LVA", "拉脱维亚"),
    c(430, "LBR", "利比里亚"),
    c(434, "LBY", "利比亚"),
    c(438, "LIE", "列支敦士登"),
    c(440, "LTU", "立陶宛"),
    c(442, "LUX", "卢森堡"),
    c(446, "MAC", "中国澳门"),
    c(450, "MDG", "马达加斯加"),
    c(454, "MWI", "马拉维"),
    c(458, "MYS", "马来西亚"),
    c(462, "MDV", "马尔代夫"),
    c(466, "MLI", "马里"),
    c(470, "MLT", "马耳他"),
    c(474, "MTQ", "马提尼克"),
    c(478, "MRT", "毛里塔尼亚"),
    c(480, "MUS", "毛里求斯"),
    c(484, "MEX", "墨西哥"),
    c(492, "MCO", "摩纳哥"),
    c(496, "MNG", "蒙古"),
    c(498, "MDA", "摩尔多瓦"),
    c(499, "MNE", "黑山"),
    c(500, "MSR", "蒙特塞拉特"),
    c(504, "MAR", "摩洛哥"),
    c(508, "MOZ", "莫桑比克"),
    c(512, "OMN", "阿曼"),
    c(516, "NAM", "纳米比亚"),
    c(520, "NRU", "瑙鲁"),
    c(524, "NPL", "尼泊尔"),
    c(528, "NLD", "荷兰"),
    c(531, "CUW", "库拉索"),
    c(533, "ABW", "阿鲁巴"),
    c(534, "SXM", "荷属圣马丁"),
    c(535, "BES", "荷兰加勒比区"),
    c(540, "NCL", "新喀里多尼亚"),
    c(548, "VUT", "瓦努阿图"),
    c(554, "NZL", "新西兰"),
    c(558, "NIC", "尼加拉瓜"),
    c(562, "NER", "尼日尔"),
    c(566, "NGA", "尼日利亚"),
    c(570, "NIU", "纽埃"),
    c(574, "NFK", "诺福克岛"),
    c(578, "NOR", "挪威"),
    c(580, "MNP", "北马里亚纳"),
    c(581, "UMI", "美国本土外小岛屿"),
    c(583, "FSM", "密克罗尼西亚联邦"),
    c(584, "MHL", "马绍尔群岛"),
    c(585, "PLW", "帕劳"),
    c(586, "PAK", "巴基斯坦"),
    c(591, "PAN", "巴拿马"),
    c(598, "PNG", "巴布亚新几内亚"),
    c(600, "PRY", "巴拉圭"),
    c(604, "PER", "秘鲁"),
    c(608, "PHL", "菲律宾"),
    c(612, "PCN", "皮特凯恩"),
    c(616, "POL", "波兰"),
    c(620, "PRT", "葡萄牙"),
    c(624, "GNB", "几内亚比绍"),
    c(626, "TLS", "东帝汶"),
    c(630, "PRI", "波多黎各"),
    c(634, "QAT", "卡塔尔"),
    c(638, "REU", "留尼汪"),
    c(642, "ROU", "罗马尼亚"),
    c(643, "RUS", "俄罗斯"),
    c(646, "RWA", "卢旺达"),
    c(652, "BLM", "圣巴泰勒米"),
    c(654, "SHN", "圣赫勒拿"),
    c(659, "KNA", "圣基茨和尼维斯"),
    c(660, "AIA", "安圭拉"),
    c(662, "LCA", "圣卢西亚"),
    c(663, "MAF", "法属圣马丁"),
    c(666, "SPM", "圣皮埃尔和密克隆"),
    c(670, "VCT", "圣文森特和格林纳丁斯"),
    c(674, "SMR", "圣马力诺"),
    c(678, "STP", "圣多美和普林西比"),
    c(682, "SAU", "沙特阿拉伯"),
    c(686, "SEN", "塞内加尔"),
    c(688, "SRB", "塞尔维亚"),
    c(690, "SYC", "塞舌尔"),
    c(694, "SLE", "塞拉利昂"),
    c(702, "SGP", "新加坡"),
    c(703, "SVK", "斯洛伐克"),
    c(704, "VNM", "越南"),
    c(705, "SVN", "斯洛文尼亚"),
    c(706, "SOM", "索马里"),
    c(710, "ZAF", "南非"),
    c(716, "ZWE", "津巴布韦"),
    c(724, "ESP", "西班牙"),
    c(728, "SSD", "南苏丹"),
    c(729, "SDN", "苏丹"),
    c(732, "ESH", "西撒哈拉"),
    c(740, "SUR", "苏里南"),
    c(744, "SJM", "斯瓦尔巴和扬马延"),
    c(748, "SWZ", "斯威士兰"),
    c(752, "SWE", "瑞典"),
    c(756, "CHE", "瑞士"),
    c(760, "SYR", "叙利亚"),
    c(762, "TJK", "塔吉克斯坦"),
    c(764, "THA", "泰国"),
    c(768, "TGO", "多哥"),
    c(772, "TKL", "托克劳"),
    c(776, "TON", "汤加"),
    c(780, "TTO", "特立尼达和多巴哥"),
    c(784, "ARE", "阿联酋"),
    c(788, "TUN", "突尼斯"),
    c(792, "TUR", "土耳其"),
    c(795, "TKM", "土库曼斯坦"),
    c(796, "TCA", "特克斯和凯科斯群岛"),
    c(798, "TUV", "图瓦卢"),
    c(800, "UGA", "乌干达"),
    c(804, "UKR", "乌克兰"),
    c(807, "MKD", "北马其顿"),
    c(818, "EGY", "埃及"),
    c(826, "GBR", "英国"),
    c(831, "GGY", "根西"),
    c(832, "JEY", "泽西"),
    c(833, "IMN", "马恩岛"),
    c(834, "TZA", "坦桑尼亚"),
    c(840, "USA", "美国"),
    c(850, "VIR", "美属维尔京群岛"),
    c(854, "BFA", "布基纳法索"),
    c(858, "URY", "乌拉圭"),
    c(860, "UZB", "乌兹别克斯坦"),
    c(862, "VEN", "委内瑞拉"),
    c(876, "WLF", "瓦利斯和富图纳"),
    c(882, "WSM", "萨摩亚"),
    c(887, "YEM", "也门"),
    c(894, "ZMB", "赞比亚"),
];

/// The numeric code of China, which a foreigner's card cannot carry.
const CHINA: u16 = 156;

/// `INDEX[n]` is 1 + the position of numeric code `n` in `COUNTRIES`, or 0: one load per lookup.
static INDEX: [u8; 1000] = build_index();

#[allow(clippy::cast_possible_truncation)] // 249 entries (asserted)
const fn build_index() -> [u8; 1000] {
    assert!(COUNTRIES.len() < u8::MAX as usize);
    let mut index = [0u8; 1000];
    let mut i = 0;
    while i < COUNTRIES.len() {
        let n = COUNTRIES[i].numeric as usize;
        assert!(n < 1000, "three digits");
        assert!(index[n] == 0, "duplicate numeric code");
        assert!(
            i == 0 || COUNTRIES[i - 1].numeric < COUNTRIES[i].numeric,
            "must be sorted"
        );
        index[n] = (i + 1) as u8;
        i += 1;
    }
    index
}

/// What a three-digit nationality code says about a foreigner's card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NationalityStatus {
    /// An assigned ISO 3166-1 code other than China's.
    Foreign,
    /// 156, China: a foreigners' permanent residence ID cannot carry it. Accepted unless parsing
    /// is strict.
    China,
    /// Not an assigned ISO 3166-1 numeric code: a typo the check character happened to cover,
    /// or a code this list lacks. Accepted unless parsing is strict.
    Unassigned,
}

/// A three-digit nationality code (ISO 3166-1 numeric, as in GB/T 2659) and what it names.
/// Cheap to copy; every accessor is a table lookup and allocates nothing.
///
/// ```
/// use idcheck_core::{Nationality, NationalityStatus};
/// let usa = Nationality::lookup(840);
/// assert_eq!((usa.alpha3(), usa.name_zh()), (Some("USA"), Some("美国")));
/// assert_eq!(usa.to_string(), "美国 (USA, 840)");
/// assert_eq!(Nationality::lookup(999).status(), NationalityStatus::Unassigned);
/// assert_eq!(Nationality::lookup(156).status(), NationalityStatus::China);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nationality {
    numeric: u16,
}

impl Nationality {
    /// The nationality for a numeric code (any value; `status` says whether it is assigned).
    #[must_use]
    pub const fn lookup(numeric: u16) -> Self {
        Self { numeric }
    }

    fn country(self) -> Option<&'static Country> {
        match INDEX.get(usize::from(self.numeric)) {
            Some(&i) if i > 0 => Some(&COUNTRIES[usize::from(i) - 1]),
            _ => None,
        }
    }

    /// The three-digit numeric code, e.g. 840.
    #[must_use]
    pub const fn numeric(&self) -> u16 {
        self.numeric
    }

    /// The ISO 3166-1 alpha-3 code, e.g. `USA`; `None` if the numeric code is not assigned.
    #[must_use]
    pub fn alpha3(&self) -> Option<&'static str> {
        self.country().map(|c| c.alpha3)
    }

    /// The Chinese short name of GB/T 2659, e.g. `美国`; `None` if the code is not assigned.
    #[must_use]
    pub fn name_zh(&self) -> Option<&'static str> {
        self.country().map(|c| c.name_zh)
    }

    /// Whether the numeric code is an assigned ISO 3166-1 code (156, China, included).
    #[must_use]
    pub fn is_assigned(&self) -> bool {
        self.country().is_some()
    }

    /// Foreign, China, or unassigned.
    #[must_use]
    pub fn status(&self) -> NationalityStatus {
        if self.numeric == CHINA {
            NationalityStatus::China
        } else if self.is_assigned() {
            NationalityStatus::Foreign
        } else {
            NationalityStatus::Unassigned
        }
    }

    /// Every assigned code, ascending (249, China included).
    #[must_use]
    pub fn all() -> impl ExactSizeIterator<Item = Self> {
        COUNTRIES.iter().map(|c| Self { numeric: c.numeric })
    }
}

impl fmt::Debug for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nationality")
            .field("numeric", &self.numeric)
            .field("alpha3", &self.alpha3())
            .field("name_zh", &self.name_zh())
            .finish()
    }
}

/// `美国 (USA, 840)`, or the bare three digits when the code is not assigned.
impl fmt::Display for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.country() {
            Some(c) => write!(f, "{} ({}, {:03})", c.name_zh, c.alpha3, c.numeric),
            None => write!(f, "{:03}", self.numeric),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_country_is_found_and_well_formed() {
        for country in &COUNTRIES {
            let n = Nationality::lookup(country.numeric);
            assert_eq!(n.alpha3(), Some(country.alpha3));
            assert_eq!(n.name_zh(), Some(country.name_zh));
            assert!(
                country.alpha3.len() == 3 && country.alpha3.bytes().all(|b| b.is_ascii_uppercase()),
                "{}",
                country.alpha3
            );
            assert!(!country.name_zh.is_empty() && !country.name_zh.is_ascii());
        }
        let mut alpha3: Vec<_> = COUNTRIES.iter().map(|c| c.alpha3).collect();
        alpha3.sort_unstable();
        alpha3.dedup();
        assert_eq!(alpha3.len(), COUNTRIES.len(), "alpha-3 codes are unique");
        assert_eq!(Nationality::all().len(), 249);
    }

    #[test]
    fn unassigned_codes_and_china() {
        for n in [0, 1, 530, 899, 900, 999, 1000, u16::MAX] {
            assert_eq!(
                Nationality::lookup(n).status(),
                NationalityStatus::Unassigned,
                "{n}"
            );
            assert_eq!(Nationality::lookup(n).alpha3(), None);
        }
        assert_eq!(Nationality::lookup(156).status(), NationalityStatus::China);
        assert!(Nationality::lookup(156).is_assigned());
        assert_eq!(
            Nationality::lookup(4).to_string(),
            "阿富汗 (AFG, 004)".to_owned()
        );
        assert_eq!(Nationality::lookup(999).to_string(), "999");
    }
}
