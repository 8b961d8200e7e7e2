//! Canonical language tags: ISO 639-3 + ISO 15924 script (`fra_Latn`, `zho_Hans`, `yor_Latn`),
//! the form of FLORES-200, GlotLID and FineWeb-2. Model labels (`__label__fr`), ISO 639-1 codes,
//! ISO 639-3 codes and BCP-47-ish tags (`fr-Latn`, `zh-Hant`) are mapped here, at the edge.
//! Code is tagged `code_<language>`.

/// (ISO 639-1 or Wikipedia/lid.176 code, canonical tag). Where FLORES-200 names an individual
/// language for a macrolanguage, that code is used (`ar` → `arb_Arab`, `fa` → `pes_Arab`).
const TABLE: &[(&str, &str)] = &[
    ("af", "afr_Latn"),
    ("ak", "aka_Latn"),
    ("als", "gsw_Latn"),
    ("am", "amh_Ethi"),
    ("an", "arg_Latn"),
    ("ar", "arb_Arab"),
    ("arz", "arz_Arab"),
    ("as", "asm_Beng"),
    ("ast", "ast_Latn"),
    ("av", "ava_Cyrl"),
    ("az", "azj_Latn"),
    ("azb", "azb_Arab"),
    ("ba", "bak_Cyrl"),
    ("bar", "bar_Latn"),
    ("bcl", "bcl_Latn"),
    ("be", "bel_Cyrl"),
    ("bg", "bul_Cyrl"),
    ("bh", "bho_Deva"),
    ("bm", "bam_Latn"),
    ("bn", "ben_Beng"),
    ("bo", "bod_Tibt"),
    ("bpy", "bpy_Beng"),
    ("br", "bre_Latn"),
    ("bs", "bos_Latn"),
    ("bxr", "bxr_Cyrl"),
    ("ca", "cat_Latn"),
    ("cbk", "cbk_Latn"),
    ("ce", "che_Cyrl"),
    ("ceb", "ceb_Latn"),
    ("ckb", "ckb_Arab"),
    ("co", "cos_Latn"),
    ("cs", "ces_Latn"),
    ("cv", "chv_Cyrl"),
    ("cy", "cym_Latn"),
    ("da", "dan_Latn"),
    ("de", "deu_Latn"),
    ("diq", "diq_Latn"),
    ("dsb", "dsb_Latn"),
    ("dty", "dty_Deva"),
    ("dv", "div_Thaa"),
    ("dz", "dzo_Tibt"),
    ("ee", "ewe_Latn"),
    ("el", "ell_Grek"),
    ("eml", "egl_Latn"),
    ("en", "eng_Latn"),
    ("eo", "epo_Latn"),
    ("es", "spa_Latn"),
    ("et", "est_Latn"),
    ("eu", "eus_Latn"),
    ("fa", "pes_Arab"),
    ("ff", "fuv_Latn"),
    ("fi", "fin_Latn"),
    ("fil", "fil_Latn"),
    ("fon", "fon_Latn"),
    ("fr", "fra_Latn"),
    ("frr", "frr_Latn"),
    ("fy", "fry_Latn"),
    ("ga", "gle_Latn"),
    ("gd", "gla_Latn"),
    ("gl", "glg_Latn"),
    ("gn", "grn_Latn"),
    ("gom", "gom_Deva"),
    ("gu", "guj_Gujr"),
    ("gv", "glv_Latn"),
    ("ha", "hau_Latn"),
    ("hak", "hak_Hani"),
    ("he", "heb_Hebr"),
    ("hi", "hin_Deva"),
    ("hif", "hif_Latn"),
    ("hr", "hrv_Latn"),
    ("hsb", "hsb_Latn"),
    ("ht", "hat_Latn"),
    ("hu", "hun_Latn"),
    ("hy", "hye_Armn"),
    ("ia", "ina_Latn"),
    ("id", "ind_Latn"),
    ("ie", "ile_Latn"),
    ("ig", "ibo_Latn"),
    ("ilo", "ilo_Latn"),
    ("io", "ido_Latn"),
    ("is", "isl_Latn"),
    ("it", "ita_Latn"),
    ("ja", "jpn_Jpan"),
    ("jbo", "jbo_Latn"),
    ("jv", "jav_Latn"),
    ("ka", "kat_Geor"),
    ("kab", "kab_Latn"),
    ("kg", "kon_Latn"),
    ("ki", "kik_Latn"),
    ("kk", "kaz_Cyrl"),
    ("km", "khm_Khmr"),
    ("kn", "kan_Knda"),
    ("ko", "kor_Hang"),
    ("krc", "krc_Cyrl"),
    ("ku", "kmr_Latn"),
    ("kv", "kpv_Cyrl"),
    ("kw", "cor_Latn"),
    ("ky", "kir_Cyrl"),
    ("la", "lat_Latn"),
    ("lb", "ltz_Latn"),
    ("lez", "lez_Cyrl"),
    ("lg", "lug_Latn"),
    ("li", "lim_Latn"),
    ("lmo", "lmo_Latn"),
    ("ln", "lin_Latn"),
    ("lo", "lao_Laoo"),
    ("lrc", "lrc_Arab"),
    ("lt", "lit_Latn"),
    ("lv", "lvs_Latn"),
    ("mai", "mai_Deva"),
    ("mg", "plt_Latn"),
    ("mhr", "mhr_Cyrl"),
    ("min", "min_Latn"),
    ("mk", "mkd_Cyrl"),
    ("ml", "mal_Mlym"),
    ("mn", "khk_Cyrl"),
    ("mr", "mar_Deva"),
    ("mrj", "mrj_Cyrl"),
    ("ms", "zsm_Latn"),
    ("mt", "mlt_Latn"),
    ("mwl", "mwl_Latn"),
    ("my", "mya_Mymr"),
    ("myv", "myv_Cyrl"),
    ("mzn", "mzn_Arab"),
    ("nah", "nah_Latn"),
    ("nan", "nan_Hani"),
    ("nap", "nap_Latn"),
    ("nb", "nob_Latn"),
    ("nds", "nds_Latn"),
    ("ne", "npi_Deva"),
    ("new", "new_Deva"),
    ("nl", "nld_Latn"),
    ("nn", "nno_Latn"),
    ("no", "nob_Latn"),
    ("nso", "nso_Latn"),
    ("ny", "nya_Latn"),
    ("oc", "oci_Latn"),
    ("or", "ory_Orya"),
    ("os", "oss_Cyrl"),
    ("pa", "pan_Guru"),
    ("pam", "pam_Latn"),
    ("pcm", "pcm_Latn"),
    ("pfl", "pfl_Latn"),
    ("pl", "pol_Latn"),
    ("pms", "pms_Latn"),
    ("pnb", "pnb_Arab"),
    ("ps", "pbt_Arab"),
    ("pt", "por_Latn"),
    ("qu", "quy_Latn"),
    ("rm", "roh_Latn"),
    ("rn", "run_Latn"),
    ("ro", "ron_Latn"),
    ("ru", "rus_Cyrl"),
    ("rue", "rue_Cyrl"),
    ("rw", "kin_Latn"),
    ("sa", "san_Deva"),
    ("sah", "sah_Cyrl"),
    ("sc", "srd_Latn"),
    ("scn", "scn_Latn"),
    ("sco", "sco_Latn"),
    ("sd", "snd_Arab"),
    ("sh", "hbs_Latn"),
    ("si", "sin_Sinh"),
    ("sk", "slk_Latn"),
    ("sl", "slv_Latn"),
    ("sn", "sna_Latn"),
    ("so", "som_Latn"),
    ("sq", "als_Latn"),
    ("sr", "srp_Cyrl"),
    ("st", "sot_Latn"),
    ("su", "sun_Latn"),
    ("sv", "swe_Latn"),
    ("sw", "swh_Latn"),
    ("ta", "tam_Taml"),
    ("te", "tel_Telu"),
    ("tg", "tgk_Cyrl"),
    ("th", "tha_Thai"),
    ("ti", "tir_Ethi"),
    ("tk", "tuk_Latn"),
    ("tl", "tgl_Latn"),
    ("tlh", "tlh_Latn"),
    ("tn", "tsn_Latn"),
    ("tr", "tur_Latn"),
    ("ts", "tso_Latn"),
    ("tt", "tat_Cyrl"),
    ("tum", "tum_Latn"),
    ("tw", "twi_Latn"),
    ("tyv", "tyv_Cyrl"),
    ("ug", "uig_Arab"),
    ("uk", "ukr_Cyrl"),
    ("ur", "urd_Arab"),
    ("uz", "uzn_Latn"),
    ("vec", "vec_Latn"),
    ("vep", "vep_Latn"),
    ("vi", "vie_Latn"),
    ("vls", "vls_Latn"),
    ("vo", "vol_Latn"),
    ("wa", "wln_Latn"),
    ("war", "war_Latn"),
    ("wo", "wol_Latn"),
    ("wuu", "wuu_Hans"),
    ("xal", "xal_Cyrl"),
    ("xh", "xho_Latn"),
    ("xmf", "xmf_Geor"),
    ("yi", "ydd_Hebr"),
    ("yo", "yor_Latn"),
    ("yue", "yue_Hant"),
    ("zh", "zho_Hans"),
    ("zu", "zul_Latn"),
];

/// Region/script variants written as BCP-47 that map to a specific canonical tag.
const VARIANTS: &[(&str, &str)] = &[
    ("zh-hans", "zho_Hans"),
    ("zh-hant", "zho_Hant"),
    ("zh-cn", "zho_Hans"),
    ("zh-tw", "zho_Hant"),
    ("zh-hk", "zho_Hant"),
    ("pt-br", "por_Latn"),
    ("pt-pt", "por_Latn"),
    ("sr-latn", "srp_Latn"),
    ("fr-ca", "fra_Latn"),
    ("cmn", "zho_Hans"),
    ("cmn_hans", "zho_Hans"),
    ("cmn_hant", "zho_Hant"),
    ("zho", "zho_Hans"),
    ("ara", "arb_Arab"),
    ("fas", "pes_Arab"),
    ("per", "pes_Arab"),
    ("msa", "zsm_Latn"),
    ("zlm", "zsm_Latn"),
    ("swa", "swh_Latn"),
    ("nep", "npi_Deva"),
    ("est", "est_Latn"),
    ("lav", "lvs_Latn"),
    ("uzb", "uzn_Latn"),
    ("nor", "nob_Latn"),
    ("sqi", "als_Latn"),
    ("alb", "als_Latn"),
    ("kur", "kmr_Latn"),
    ("pus", "pbt_Arab"),
    ("mon", "khk_Cyrl"),
    ("aze", "azj_Latn"),
    ("ori", "ory_Orya"),
    ("fre", "fra_Latn"),
    ("ger", "deu_Latn"),
    ("chi", "zho_Hans"),
    ("tw", "twi_Latn"),
    ("aka", "aka_Latn"),
    ("mlg", "plt_Latn"),
    ("yid", "ydd_Hebr"),
    ("que", "quy_Latn"),
    ("ful", "fuv_Latn"),
    ("kon", "kon_Latn"),
    ("grn", "grn_Latn"),
];

/// The canonical tag of a language given in any accepted form, or `None` if unknown.
/// `code_python` and other `code_*` tags pass through.
pub fn canonical(tag: &str) -> Option<String> {
    let t = tag.trim().trim_start_matches("__label__");
    if t.is_empty() {
        return None;
    }
    if let Some(rest) = t.strip_prefix("code_") {
        return (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| format!("code_{}", rest.to_ascii_lowercase()));
    }
    let lower = t.to_ascii_lowercase().replace('-', "_");
    // Already `xxx_Scri`: normalise the case of both parts.
    if let Some((lang, script)) = lower.split_once('_') {
        if lang.len() == 3 && script.len() == 4 && lang.chars().all(|c| c.is_ascii_lowercase()) {
            let key = format!("{lang}_{script}");
            if let Some((_, c)) = VARIANTS.iter().find(|(k, _)| *k == key) {
                return Some((*c).to_string());
            }
            let mut s = script.to_string();
            s[..1].make_ascii_uppercase();
            return Some(format!("{lang}_{s}"));
        }
    }
    let dashed = lower.replace('_', "-");
    if let Some((_, c)) = VARIANTS.iter().find(|(k, _)| *k == dashed) {
        return Some((*c).to_string());
    }
    if let Some((_, c)) = TABLE.iter().find(|(k, _)| *k == lower) {
        return Some((*c).to_string());
    }
    // A bare ISO 639-3 code that the table knows as the first part of a canonical tag.
    if lower.len() == 3 {
        if let Some((_, c)) = TABLE
            .iter()
            .find(|(_, c)| c.split('_').next() == Some(lower.as_str()))
        {
            return Some((*c).to_string());
        }
    }
    // Region subtags (`fr_ca`): try the language part alone.
    if let Some((lang, _)) = lower.split_once('_') {
        if lang != lower {
            return canonical(lang);
        }
    }
    None
}

/// The ISO 639-3 part of a canonical tag (`fra_Latn` → `fra`).
pub fn language_part(tag: &str) -> &str {
    tag.split('_').next().unwrap_or(tag)
}

/// The script part of a canonical tag (`fra_Latn` → `Latn`), if any.
pub fn script_part(tag: &str) -> Option<&str> {
    tag.split_once('_').map(|(_, s)| s).filter(|s| s.len() == 4)
}

/// Whether text in this script is written without spaces between words (word counts, shingles
/// and banned-word matching then work on characters).
pub fn script_without_spaces(script: &str) -> bool {
    matches!(
        script,
        "Hans" | "Hant" | "Hani" | "Jpan" | "Thai" | "Laoo" | "Khmr" | "Mymr" | "Tibt"
    )
}

/// Characters written differently in Traditional and Simplified Chinese, among the most
/// frequent: Traditional forms, and Simplified forms that Traditional text does not use (pairs
/// such as 後/后 or 裡/里, whose Simplified side is also a Traditional character, are left out).
const TRADITIONAL_ONLY: &str = "這們個國會說對為與來時學從還過見開關長問間門頭現發經動點實當體機樣種進電華讓認識語話請讀寫聽覺親愛東車書買賣錢義權務條產業員區題應無處總變報歷氣視難聯計鄉隊陽陰雙響麼黨齊龍鳥魚馬飛風顯領類習輕轉辦邊遠適選遺鐵錄網線紅級給組結統絕維編緊續聲藝號衛設許論證護議負財責貨質費資軍農醫針銀陳隨險雖雜離靜韓預願館驗麗爭獨環畫異盡監禮稱穩競筆節範簡紀約紙終細傳價優備僅億兒內兩寶將專導層屬嚴師帶幫廣張彈復態戰擊擇據擁數斷歲歸殺決況滅濟燈爾狀猶療盜確礙職腦臨舉藥蘇補裝規觀訊訓記評詞試該詳誌調談諾謝貢貧貴賴趨躍較輸辭運達違遞鄰釋鐘閱陸際隱雲須頒頓頻顧飲養餘髮鬥齡";
const SIMPLIFIED_ONLY: &str = "这们个国会说对为与来时学从还过见开关长问间门头现经动点实当体机样种进电华让认识语话请读写听觉亲爱东车书买卖钱义权务条产业员区题应无处总变报历气视难联计乡队阳阴双响么党齐龙鸟鱼马飞风显领类习轻转办边远适选遗铁录网线红级给组结统绝维编紧续声艺号卫设许论证护议负财责货质费资军农医针银陈随险虽杂离静韩预愿馆验丽争独环画异尽监礼称稳竞笔节范简纪约纸终细传价优备仅亿儿内两宝将专导层属严师带帮广张弹复态战击择据拥数断岁归杀决况灭济灯尔状犹疗盗确碍职脑临举药苏补装规观讯训记评词试该详调谈诺谢贡贫贵赖趋跃较输辞运达违递邻释钟阅陆际隐须颁顿频顾饮养龄";

/// The script of a Chinese text: `Hant` when it has more Traditional-only than Simplified-only
/// characters, `Hans` otherwise (lid.176 has one `zh` label for both; BLOOM has both scripts).
pub fn chinese_script(text: &str) -> &'static str {
    /// Per character from U+4E00 to U+9FFF (where both lists are): bit 0 Traditional-only,
    /// bit 1 Simplified-only. A table lookup instead of two binary searches per character.
    const FIRST: u32 = 0x4e00;
    const LAST: u32 = 0x9fff;
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = vec![0u8; (LAST - FIRST + 1) as usize];
        for (list, bit) in [(TRADITIONAL_ONLY, 1u8), (SIMPLIFIED_ONLY, 2)] {
            for c in list.chars() {
                assert!(
                    (FIRST..=LAST).contains(&(c as u32)),
                    "{c} is outside the table"
                );
                t[(c as u32 - FIRST) as usize] |= bit;
            }
        }
        t
    });
    let (mut trad, mut simp) = (0usize, 0usize);
    for c in text.chars() {
        let Some(&bits) = table.get((c as u32).wrapping_sub(FIRST) as usize) else {
            continue;
        };
        // As before: a character on both lists counts as Traditional.
        if bits & 1 != 0 {
            trad += 1;
        } else if bits & 2 != 0 {
            simp += 1;
        }
    }
    if trad > simp {
        "Hant"
    } else {
        "Hans"
    }
}

/// The BLOOM training languages (46 natural languages), as canonical tags.
pub const BLOOM_LANGUAGES: &[&str] = &[
    "eng_Latn", "zho_Hans", "zho_Hant", "fra_Latn", "spa_Latn", "por_Latn", "arb_Arab", "vie_Latn",
    "cat_Latn", "ind_Latn", "eus_Latn", "ben_Beng", "guj_Gujr", "hin_Deva", "kan_Knda", "mal_Mlym",
    "mar_Deva", "npi_Deva", "pan_Guru", "tam_Taml", "tel_Telu", "urd_Arab", "asm_Beng", "ory_Orya",
    "aka_Latn", "twi_Latn", "bam_Latn", "nya_Latn", "sna_Latn", "fon_Latn", "ibo_Latn", "zul_Latn",
    "kin_Latn", "run_Latn", "lin_Latn", "lug_Latn", "nso_Latn", "sot_Latn", "tsn_Latn", "swh_Latn",
    "wol_Latn", "xho_Latn", "tso_Latn", "yor_Latn", "kik_Latn", "tum_Latn",
];

/// The 13 programming languages of BLOOM's code data, as `code_*` tags.
pub const BLOOM_CODE: &[&str] = &[
    "code_c",
    "code_cpp",
    "code_csharp",
    "code_go",
    "code_java",
    "code_javascript",
    "code_lua",
    "code_php",
    "code_python",
    "code_ruby",
    "code_rust",
    "code_scala",
    "code_typescript",
];

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_script_from_the_characters_used() {
        use super::chinese_script;
        assert_eq!(
            chinese_script("人人生而自由，在尊严和权利上一律平等。"),
            "Hans"
        );
        assert_eq!(
            chinese_script("人人生而自由，在尊嚴和權利上一律平等。"),
            "Hant"
        );
        assert_eq!(chinese_script("這是我們的國家"), "Hant");
        assert_eq!(chinese_script("这是我们的国家"), "Hans");
        // No telling character: Simplified, lid.176's default reading of `zh`.
        assert_eq!(chinese_script("人人生而自由"), "Hans");
    }

    use super::*;

    #[test]
    fn every_form_maps_to_one_tag() {
        for form in [
            "fr",
            "fra",
            "fra_Latn",
            "FRA_latn",
            "fr-Latn",
            "__label__fr",
            "fr-CA",
            "fre",
        ] {
            assert_eq!(canonical(form).as_deref(), Some("fra_Latn"), "{form}");
        }
        assert_eq!(canonical("zh-Hant").as_deref(), Some("zho_Hant"));
        assert_eq!(canonical("__label__zh").as_deref(), Some("zho_Hans"));
        assert_eq!(
            canonical("als").as_deref(),
            Some("gsw_Latn"),
            "lid.176's als is Alemannic"
        );
        assert_eq!(canonical("yor_Latn").as_deref(), Some("yor_Latn"));
        assert_eq!(canonical("code_Python").as_deref(), Some("code_python"));
        assert_eq!(canonical("xx"), None);
    }

    #[test]
    fn bloom_has_46_distinct_languages() {
        let mut v = BLOOM_LANGUAGES.to_vec();
        v.sort();
        v.dedup();
        assert_eq!(v.len(), 46);
        for t in BLOOM_LANGUAGES {
            assert_eq!(canonical(t).as_deref(), Some(*t));
        }
    }
}
