//! Small code tables the edits need, written as our own tables of facts from the NAACCR v26
//! item documentation and the tables in `shared/reference/written/` (which record their
//! sources). `tests/edits` cross-checks each one against those files.

use super::record::F;

/// Laterality rule of a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatRule {
    /// Paired organ: 1-5 or 9, never 0.
    Paired,
    /// Paired only for diagnoses from the given year (CNS sites from 2004).
    PairedFrom(u16),
    /// Right-sided structure (lung middle lobe): only 1.
    RightOnly,
    /// Partly midline structures: any code.
    Either,
    /// Unknown primary: 0.
    Unknown,
    /// Every other site: 0.
    NotPaired,
}

/// Paired sites (laterality_paired_sites.tsv).
pub const PAIRED_SITES: &[(u16, LatRule)] = &[
    (79, LatRule::Paired),
    (80, LatRule::Paired),
    (81, LatRule::Paired),
    (90, LatRule::Paired),
    (91, LatRule::Paired),
    (98, LatRule::Paired),
    (99, LatRule::Paired),
    (300, LatRule::Either),
    (301, LatRule::Paired),
    (310, LatRule::Paired),
    (312, LatRule::Paired),
    (340, LatRule::Either),
    (341, LatRule::Paired),
    (342, LatRule::RightOnly),
    (343, LatRule::Paired),
    (348, LatRule::Paired),
    (349, LatRule::Paired),
    (384, LatRule::Paired),
    (400, LatRule::Paired),
    (401, LatRule::Paired),
    (402, LatRule::Paired),
    (403, LatRule::Paired),
    (413, LatRule::Either),
    (414, LatRule::Either),
    (441, LatRule::Paired),
    (442, LatRule::Paired),
    (443, LatRule::Paired),
    (445, LatRule::Paired),
    (446, LatRule::Paired),
    (447, LatRule::Paired),
    (471, LatRule::Paired),
    (472, LatRule::Paired),
    (491, LatRule::Paired),
    (492, LatRule::Paired),
    (500, LatRule::Paired),
    (501, LatRule::Paired),
    (502, LatRule::Paired),
    (503, LatRule::Paired),
    (504, LatRule::Paired),
    (505, LatRule::Paired),
    (506, LatRule::Paired),
    (508, LatRule::Paired),
    (509, LatRule::Paired),
    (569, LatRule::Paired),
    (570, LatRule::Paired),
    (620, LatRule::Paired),
    (621, LatRule::Paired),
    (629, LatRule::Paired),
    (630, LatRule::Paired),
    (631, LatRule::Paired),
    (649, LatRule::Paired),
    (659, LatRule::Paired),
    (669, LatRule::Paired),
    (690, LatRule::Paired),
    (691, LatRule::Paired),
    (692, LatRule::Paired),
    (693, LatRule::Paired),
    (694, LatRule::Paired),
    (695, LatRule::Paired),
    (696, LatRule::Paired),
    (698, LatRule::Paired),
    (699, LatRule::Paired),
    (700, LatRule::PairedFrom(2004)),
    (710, LatRule::PairedFrom(2004)),
    (711, LatRule::PairedFrom(2004)),
    (712, LatRule::PairedFrom(2004)),
    (713, LatRule::PairedFrom(2004)),
    (714, LatRule::PairedFrom(2004)),
    (722, LatRule::PairedFrom(2004)),
    (723, LatRule::PairedFrom(2004)),
    (724, LatRule::PairedFrom(2004)),
    (725, LatRule::PairedFrom(2004)),
    (740, LatRule::Paired),
    (741, LatRule::Paired),
    (749, LatRule::Paired),
    (754, LatRule::Paired),
    (809, LatRule::Unknown),
];

/// The laterality rule of a site for a diagnosis year (`None` year: the current rule).
pub fn lat_rule(site: u16, year: Option<u16>) -> LatRule {
    match PAIRED_SITES.binary_search_by_key(&site, |(s, _)| *s) {
        Ok(i) => match PAIRED_SITES.get(i).map(|(_, r)| *r) {
            Some(LatRule::PairedFrom(y)) if year.is_some_and(|dy| dy < y) => LatRule::NotPaired,
            Some(LatRule::PairedFrom(_)) => LatRule::Paired,
            Some(r) => r,
            None => LatRule::NotPaired,
        },
        Err(_) => LatRule::NotPaired,
    }
}

/// Whether the site is a paired organ (for the in-situ laterality and duplicate checks).
pub fn is_paired(site: u16, year: Option<u16>) -> bool {
    matches!(
        lat_rule(site, year),
        LatRule::Paired | LatRule::RightOnly | LatRule::Either
    )
}

/// Sex-specific sites (sex_specific_sites.tsv): site range and the only sex it fits.
pub const SEX_SITES: &[(u16, u16, &str)] = &[(510, 589, "2"), (600, 639, "1")];

/// Sites where an in-situ behavior needs review (insitu_review_sites_IF39.tsv).
pub const IF39_SITES: &[(u16, u16)] = &[
    (269, 269),
    (399, 399),
    (559, 559),
    (579, 579),
    (639, 639),
    (689, 689),
    (729, 729),
    (759, 759),
    (760, 768),
    (809, 809),
];

/// Over-ride flags and their valid codes (override_flags.tsv; blank is always allowed).
pub const OVERRIDE_CODES: &[(F, &[&str])] = &[
    (F::OvrSsNodespos, &["1"]),
    (F::OvrSsTnmN, &["1"]),
    (F::OvrSsTnmM, &["1"]),
    (F::OvrAcsnClassSeq, &["1"]),
    (F::OvrHospseqDxconf, &["1"]),
    (F::OvrCocSiteType, &["1"]),
    (F::OvrHospseqSite, &["1"]),
    (F::OvrSiteTnmStggrp, &["1"]),
    (F::OvrAgeSiteMorph, &["1", "2", "3"]),
    (F::OvrTnmStage, &["1"]),
    (F::OvrTnmTis, &["1"]),
    (F::OvrTnm3, &["1"]),
    (F::OvrSeqnoDxconf, &["1"]),
    (F::OvrSiteLatSeqno, &["1"]),
    (F::OvrSurgDxconf, &["1"]),
    (F::OvrSiteType, &["1"]),
    (F::OvrHistology, &["1", "2", "3"]),
    (F::OvrReportSource, &["1"]),
    (F::OvrIllDefineSite, &["1"]),
    (F::OvrLeukLymphoma, &["1"]),
    (F::OvrSiteBehavior, &["1"]),
    (F::OvrSiteEodDxDt, &["1"]),
    (F::OvrSiteLatEod, &["1"]),
    (F::OvrSiteLatMorph, &["1"]),
    (F::OvrNameSex, &["1"]),
];

/// Hematopoietic/lymphoid histologies (MPH heme rule set).
pub fn is_heme(hist: u16) -> bool {
    (9590..=9993).contains(&hist)
}

/// Histologies for which Diagnostic Confirmation 3 is allowed (with behavior 3).
pub fn dxconf3_allowed(hist: u16) -> bool {
    (9590..=9992).contains(&hist)
}

/// IF48 lymphoma range.
pub fn is_lymphoma(hist: u16) -> bool {
    (9590..=9729).contains(&hist)
}

/// IF48 leukemia and other heme range.
pub fn is_leukemia_other(hist: u16) -> bool {
    (9731..=9948).contains(&hist)
}

/// IF22: histologies that may be coded to lymph nodes C770-C779 (CCR's current version adds
/// lymphoid neoplasms outside the lymphoma block).
pub fn lymph_node_ok(hist: u16) -> bool {
    in_ranges(
        hist,
        &[
            (9590, 9729),
            (9735, 9738),
            (9811, 9818),
            (9823, 9823),
            (9827, 9827),
            (9837, 9837),
        ],
    )
}

/// IF22: histologies that need review at any site when more than one primary is reported.
pub fn any_site_review(hist: u16) -> bool {
    (9740..=9758).contains(&hist)
}

/// Grade [440] codes (pre-2018).
pub const GRADE_440: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Summary Stage 2018 codes.
pub const SS2018: &[&str] = &["0", "1", "2", "3", "4", "7", "8", "9"];

/// Schemas where Summary Stage 2018 code 8 (benign/borderline) is used.
pub const SS2018_BENIGN_SCHEMAS: &[&str] = &[
    "00721", "00722", "00723", "09721", "09722", "09723", "09724",
];

/// Histologies not accepted as in situ (MORPH).
pub const NOT_IN_SITU: &[(u16, u16)] = &[
    (8000, 8005),
    (8020, 8021),
    (8331, 8332),
    (8800, 9055),
    (9062, 9062),
    (9082, 9083),
    (9110, 9493),
    (9501, 9989),
];

/// Histologies reportable with behavior 1 before 2001 (papillary / serous borderline ovary).
pub const BORDERLINE_1: &[u16] = &[8442, 8451, 8462, 8472, 8473];

/// Benign histologies accepted without review from 2004 (non-malignant brain reportability).
pub const BENIGN_BRAIN_OK: &[(u16, u16)] = &[
    (8146, 8146),
    (8271, 8271),
    (8861, 8861),
    (8897, 8897),
    (9121, 9122),
    (9131, 9131),
    (9161, 9161),
    (9350, 9352),
    (9360, 9361),
    (9383, 9384),
    (9394, 9394),
    (9412, 9413),
    (9444, 9444),
    (9492, 9493),
    (9506, 9506),
    (9531, 9534),
    (9537, 9537),
    (9541, 9541),
    (9550, 9550),
    (9562, 9562),
    (9570, 9570),
];

/// Histologies whose term implies a grade (MORPH, pre-2018 Grade [440]).
pub const IMPLIED_GRADE: &[(u16, &str)] = &[
    (8020, "4"),
    (8021, "4"),
    (8331, "1"),
    (9082, "4"),
    (9083, "2"),
    (9401, "4"),
    (9451, "4"),
    (9511, "1"),
    (9512, "4"),
];

/// Part of the IF38 "impossible site/histology" list that was retrieved: (histology ranges,
/// site ranges, whether the sites are the *allowed* ones rather than the impossible ones).
/// Inclusive code ranges.
pub type Ranges = &'static [(u16, u16)];

pub const IF38_IMPOSSIBLE: &[(Ranges, Ranges, bool)] = &[
    // glioblastoma only in brain/CNS, pituitary and pineal
    (&[(9440, 9442)], &[(710, 727), (751, 751), (753, 753)], true),
    // melanoma of retroperitoneum/peritoneum
    (&[(8720, 8790)], &[(480, 488)], false),
    // bone/odontogenic tumors of nasal cavity, middle ear, sinuses
    (&[(9250, 9342)], &[(300, 301), (310, 319)], false),
    // carcinoma or melanoma of heart and mediastinum, pleura
    (
        &[(8010, 8245), (8247, 8671), (8940, 8941), (8720, 8790)],
        &[(381, 382), (384, 384), (388, 388)],
        false,
    ),
    (
        &[
            (8010, 8231),
            (8241, 8245),
            (8247, 8671),
            (8940, 8941),
            (8720, 8790),
        ],
        &[(383, 383)],
        false,
    ),
    // carcinoma or melanoma of peripheral nerves
    (
        &[(8010, 8671), (8940, 8941), (8720, 8790)],
        &[(470, 479)],
        false,
    ),
];

pub fn in_ranges(v: u16, ranges: &[(u16, u16)]) -> bool {
    ranges.iter().any(|(lo, hi)| *lo <= v && v <= *hi)
}
