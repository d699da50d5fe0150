//! Edit functions, one module per catalog section. Each function states only its own logic:
//! the engine has already applied year gating and skip-on-blank for the edit's key items.

pub mod a_validity;
pub mod b_dates;
pub mod c_site_morph;
pub mod d_grade;
pub mod e_staging;
pub mod f_treatment;
pub mod g_treatment_dates;
pub mod h_patient;
pub mod i_biomarkers;
pub mod i_primaries;

use super::record::F;

/// Two-character sequence number split into its numeric value.
pub(crate) fn seq(v: &str) -> Option<u32> {
    super::record::digits(v, 2)
}

/// First-course treatment date items.
pub(crate) const RX_DATES: &[F] = &[
    F::RxDateSurgery,
    F::RxDateRadiation,
    F::RxDateChemo,
    F::RxDateHormone,
    F::RxDateBrm,
    F::RxDateOther,
    F::RxDateSystemic,
    F::Date1stCrsRxCoc,
];
