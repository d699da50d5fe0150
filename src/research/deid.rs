//! HIPAA Safe Harbor de-identification of record-level research extracts
//! (45 CFR 164.514(b)(2); HHS, "Guidance Regarding Methods for De-identification of Protected
//! Health Information", 2012).
//!
//! Every NAACCR v26 item falls in exactly one class, decided by [`classify`] (the single place
//! the rules live):
//!
//! * **identifier**: never released, refused when a release is approved. Names (incl. maiden,
//!   alias, birth surname, spouse/parent), street addresses and supplements, telephone, SSN,
//!   Medicare number, medical record, patient id, accession, death certificate and pathology
//!   report numbers, physicians and their NPIs/licences, facility and registry ids, the
//!   follow-up contact (a relative or friend), geography below the state (city, county, census
//!   tract and block group, latitude/longitude, UIO service area), every free-text item, and
//!   every other item NAACCR does not allow in record type I (incidence), which is NAACCR's own
//!   list of confidential items.
//! * **transformed quasi-identifier**: released only in a coarsened form ([`Transform`]):
//!   ZIP codes cut to three digits (`000` for the restricted areas of [`RESTRICTED_ZIP3`]), every
//!   date cut to its year, age at diagnosis capped at `090` (= 90 or older), and year of birth
//!   left blank for anyone 90 or older.
//! * **releasable**: coded clinical and administrative items (site, histology, stage, treatment
//!   codes, state, country, race, sex, area-level derived codes such as RUCA or the census tract
//!   poverty indicator, which describe an area without naming it).
//!
//! Patients get study ids from [`StudyIds`]: numbers 1..n in a random order drawn per extract,
//! so they say nothing about registry ids and differ between extracts. Tumors are numbered
//! 1..k within the patient (`tumorSequence`) in the order the caller passes them.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use rand::seq::SliceRandom;
use serde::Serialize;

use super::Error;
use crate::naaccr::{DataType, Dictionary, ItemDef, Items, Level, RecordType};

/// Three-digit ZIP prefixes whose areas held 20,000 people or fewer in the 2000 census. Safe
/// Harbor allows the first three ZIP digits only outside these areas; inside them the prefix is
/// released as `000`. Source: HHS, "Guidance Regarding Methods for De-identification of
/// Protected Health Information in Accordance with the HIPAA Privacy Rule" (2012), section
/// 3.3, which lists these 17 prefixes from the 2000 census.
pub const RESTRICTED_ZIP3: [&str; 17] = [
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878",
    "879", "884", "890", "893",
];

/// The release code of age at diagnosis for every age from 90 up: Safe Harbor allows ages over
/// 89 only as one "90 or older" category. Three digits so the value stays a valid NAACCR code.
pub const AGE_90_OR_OLDER: &str = "090";

/// How a quasi-identifier is coarsened before release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Transform {
    /// US ZIP code -> first three digits, `000` in a restricted area; anything that is not a
    /// US ZIP (Canadian codes, `99999` unknown, malformed) -> blank. `88888` (resident outside
    /// the US) -> `888`, which is no real prefix.
    Zip3,
    /// A date -> its year (`CCYY`); not a date -> blank; blank too for a patient 90 or older
    /// (a year and the age at diagnosis would give the birth year).
    Year,
    /// Date of birth -> its year, blank for a patient 90 or older (at any diagnosis or at the
    /// release's reference year), since the birth year would reveal the exact age.
    BirthYear,
    /// Age at diagnosis: `090`..`120` -> [`AGE_90_OR_OLDER`]; `999` (unknown) kept; other
    /// values kept when they are a valid age code, else blank.
    AgeCap,
}

/// The de-identification class of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemClass {
    /// Never released; the reason names the Safe Harbor category.
    Identifier(&'static str),
    /// Released after the transform.
    Transformed(Transform),
    /// Released as stored.
    Releasable,
}

const NAME: &str = "direct identifier: a name";
const STREET: &str = "direct identifier: a street address";
const NUMBER: &str = "direct identifier: an identifying number of the patient";
const PHONE: &str = "direct identifier: a telephone number";
const CONTACT: &str =
    "direct identifier: the follow-up contact (a relative or contact of the patient)";
const CITY: &str = "identifier: a geographic subdivision smaller than a state (city)";
const COUNTY: &str = "identifier: a geographic subdivision smaller than a state (county)";
const CENSUS: &str =
    "identifier: a geographic subdivision smaller than a state (census tract or block group)";
const COORD: &str = "identifier: a geographic subdivision smaller than a state (coordinates)";
const AREA: &str = "identifier: a geographic subdivision smaller than a state (service area)";
const PHYSICIAN: &str = "identifier: a physician's id, NPI or licence number";
const FACILITY: &str = "identifier: a facility or registry id (narrows the patient to one place)";
const ABSTRACTOR: &str = "identifier: the abstractor's initials";
const TEXT: &str = "identifier: free text may name the patient, relatives, places and dates";
const CONFIDENTIAL: &str =
    "identifier: confidential item (NAACCR does not allow it in record type I)";

/// Items classified by id. Everything not listed here goes through the generic rules of
/// [`classify`]; entries here win over them, so the reason a request gets is the precise one.
#[rustfmt::skip]
const BY_ID: &[(&str, ItemClass)] = {
    use ItemClass::{Identifier as Id, Transformed as T};
    &[
        ("nameLast", Id(NAME)), ("nameBirthSurname", Id(NAME)), ("nameFirst", Id(NAME)),
        ("nameMiddle", Id(NAME)), ("namePrefix", Id(NAME)), ("nameSuffix", Id(NAME)),
        ("nameAlias", Id(NAME)), ("nameSpouseParent", Id(NAME)),
        ("addrAtDxNoStreet", Id(STREET)), ("addrAtDxSupplementl", Id(STREET)),
        ("addrCurrentNoStreet", Id(STREET)), ("addrCurrentSupplementl", Id(STREET)),
        ("telephone", Id(PHONE)),
        ("socialSecurityNumber", Id("direct identifier: Social Security number")),
        ("medicalRecordNumber", Id("direct identifier: medical record number")),
        ("medicareBeneficiaryIdentifier", Id("direct identifier: health plan beneficiary number")),
        ("patientIdNumber", Id(NUMBER)), ("patientSystemIdHosp", Id(NUMBER)),
        ("accessionNumberHosp", Id("direct identifier: accession number")),
        ("dcStateFileNumber", Id("direct identifier: death certificate number")),
        ("pathReportNumber1", Id(NUMBER)), ("pathReportNumber2", Id(NUMBER)),
        ("pathReportNumber3", Id(NUMBER)), ("pathReportNumber4", Id(NUMBER)),
        ("pathReportNumber5", Id(NUMBER)),
        ("followUpContactName", Id(CONTACT)), ("followUpContactNost", Id(CONTACT)),
        ("followUpContactSuppl", Id(CONTACT)), ("followUpContactCity", Id(CONTACT)),
        ("followUpContactState", Id(CONTACT)), ("followUpContactPostal", Id(CONTACT)),
        ("followupContactCountry", Id(CONTACT)),
        ("addrAtDxCity", Id(CITY)), ("addrCurrentCity", Id(CITY)),
        ("countyAtDx", Id(COUNTY)), ("countyAtDxAnalysis", Id(COUNTY)),
        ("countyAtDxGeocode1990", Id(COUNTY)), ("countyAtDxGeocode2000", Id(COUNTY)),
        ("countyAtDxGeocode2010", Id(COUNTY)), ("countyAtDxGeocode2020", Id(COUNTY)),
        ("countyCurrent", Id(COUNTY)),
        ("censusTract19708090", Id(CENSUS)), ("censusTract2000", Id(CENSUS)),
        ("censusTract2010", Id(CENSUS)), ("censusTract2020", Id(CENSUS)),
        ("censusBlockGrp197090", Id(CENSUS)), ("censusBlockGroup2000", Id(CENSUS)),
        ("censusBlockGroup2010", Id(CENSUS)), ("censusBlockGroup2020", Id(CENSUS)),
        ("latitude", Id(COORD)), ("longitude", Id(COORD)),
        ("uihoFacility", Id(AREA)),
        ("physicianManaging", Id(PHYSICIAN)), ("physicianFollowUp", Id(PHYSICIAN)),
        ("physicianPrimarySurg", Id(PHYSICIAN)), ("physician3", Id(PHYSICIAN)),
        ("physician4", Id(PHYSICIAN)),
        ("npiPhysicianManaging", Id(PHYSICIAN)), ("npiPhysicianFollowUp", Id(PHYSICIAN)),
        ("npiPhysicianPrimarySurg", Id(PHYSICIAN)), ("npiPhysician3", Id(PHYSICIAN)),
        ("npiPhysician4", Id(PHYSICIAN)),
        ("pathOrderPhysLicNo1", Id(PHYSICIAN)), ("pathOrderPhysLicNo2", Id(PHYSICIAN)),
        ("pathOrderPhysLicNo3", Id(PHYSICIAN)), ("pathOrderPhysLicNo4", Id(PHYSICIAN)),
        ("pathOrderPhysLicNo5", Id(PHYSICIAN)),
        ("registryId", Id(FACILITY)), ("npiRegistryId", Id(FACILITY)),
        ("reportingFacility", Id(FACILITY)), ("npiReportingFacility", Id(FACILITY)),
        ("institutionReferredFrom", Id(FACILITY)), ("npiInstReferredFrom", Id(FACILITY)),
        ("institutionReferredTo", Id(FACILITY)), ("npiInstReferredTo", Id(FACILITY)),
        ("followingRegistry", Id(FACILITY)), ("npiFollowingRegistry", Id(FACILITY)),
        ("archiveFin", Id(FACILITY)), ("npiArchiveFin", Id(FACILITY)),
        ("pathReportingFacId1", Id(FACILITY)), ("pathReportingFacId2", Id(FACILITY)),
        ("pathReportingFacId3", Id(FACILITY)), ("pathReportingFacId4", Id(FACILITY)),
        ("pathReportingFacId5", Id(FACILITY)),
        ("pathOrderingFacNo1", Id(FACILITY)), ("pathOrderingFacNo2", Id(FACILITY)),
        ("pathOrderingFacNo3", Id(FACILITY)), ("pathOrderingFacNo4", Id(FACILITY)),
        ("pathOrderingFacNo5", Id(FACILITY)),
        ("abstractedBy", Id(ABSTRACTOR)),
        ("ehrReporting", Id(TEXT)),
        ("addrAtDxPostalCode", T(Transform::Zip3)), ("addrCurrentPostalCode", T(Transform::Zip3)),
        ("dateOfBirth", T(Transform::BirthYear)),
        ("ageAtDiagnosis", T(Transform::AgeCap)),
    ]
};

/// The de-identification class of a dictionary item: the single statement of the release
/// rules (see the module documentation). Rules, in order: the id table above; free text
/// (`Text--`/`RX Text--` items, type `text` of 100+ characters); items not allowed in record
/// type I; dates (type `date`/`dateTime`) -> year; everything else releasable.
pub fn classify(item: &ItemDef) -> ItemClass {
    if let Some((_, class)) = BY_ID.iter().find(|(id, _)| *id == item.id) {
        return *class;
    }
    let free_text = item.name.starts_with("Text--")
        || item.name.starts_with("RX Text--")
        || (item.data_type == DataType::Text && item.length >= 100);
    if free_text {
        return ItemClass::Identifier(TEXT);
    }
    if !item.record_types.contains(RecordType::I) {
        return ItemClass::Identifier(CONFIDENTIAL);
    }
    if matches!(item.data_type, DataType::Date | DataType::DateTime) {
        return ItemClass::Transformed(Transform::Year);
    }
    ItemClass::Releasable
}

/// Why one requested item cannot be released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The NAACCR XML id as requested.
    pub item: String,
    pub reason: String,
}

/// Checks an approved item list against the rules: identifiers, ids not in the NAACCR v26
/// dictionary and repeated ids are refused, each with its reason. Transformed quasi-identifiers
/// pass (they are released transformed).
pub fn validate_request(items: &[String]) -> Result<(), Vec<Refusal>> {
    let dict = Dictionary::v260();
    let mut seen = BTreeSet::new();
    let mut refusals = Vec::new();
    for id in items {
        let reason = match dict.item(id) {
            None => Some("not a NAACCR v26 data item".to_string()),
            Some(def) => match classify(def) {
                ItemClass::Identifier(why) => Some(why.to_string()),
                _ if !seen.insert(id.as_str()) => Some("requested more than once".to_string()),
                _ => None,
            },
        };
        if let Some(reason) = reason {
            refusals.push(Refusal {
                item: id.clone(),
                reason,
            });
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

/// Settings of one release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseOptions {
    /// The calendar year of the release. A birth year is withheld when the patient is 90 or
    /// older in this year, not only at diagnosis.
    pub reference_year: u16,
}

/// An approved, validated item list and how each item is released.
#[derive(Debug, Clone)]
pub struct Release {
    items: Vec<(String, Level, ItemClass)>,
    options: ReleaseOptions,
}

/// One patient's de-identified rows: one value list per tumor, in [`Release::columns`] order
/// after `studyId` and `tumorSequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeidPatient {
    pub study_id: u64,
    /// `tumors[i]` is tumor `i + 1`; its values follow [`Release::columns`].
    pub tumors: Vec<Vec<String>>,
}

impl Release {
    /// Validates the approved list (see [`validate_request`]); the output columns keep its order.
    pub fn new(approved: &[String], options: ReleaseOptions) -> Result<Release, Error> {
        validate_request(approved).map_err(Error::Refused)?;
        let dict = Dictionary::v260();
        let items = approved
            .iter()
            .filter_map(|id| dict.item(id))
            .map(|def| (def.id.clone(), def.level, classify(def)))
            .collect();
        Ok(Release { items, options })
    }

    /// The released NAACCR item ids, in output order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(id, _, _)| id.as_str())
    }

    /// De-identifies one patient: patient-level items come from `patient`, tumor-level ones
    /// from each tumor, file-level ones from the tumor, else the patient. Only approved items
    /// are read; a patient without tumors yields no rows.
    pub fn deidentify(&self, study_id: u64, patient: &Items, tumors: &[Items]) -> DeidPatient {
        let age_90 = self.is_90_or_older(patient, tumors);
        let tumors = tumors
            .iter()
            .map(|tumor| {
                self.items
                    .iter()
                    .map(|(id, level, class)| {
                        let raw = match level {
                            Level::Patient => patient.get(id),
                            Level::Tumor => tumor.get(id),
                            Level::Root => tumor.get(id).or_else(|| patient.get(id)),
                        };
                        release_value(*class, raw.map(String::as_str).unwrap_or(""), age_90)
                    })
                    .collect()
            })
            .collect();
        DeidPatient { study_id, tumors }
    }

    /// Whether the patient is 90 or older at any diagnosis or in the reference year. Without a
    /// birth year, the age at a diagnosis plus the years since it stands in for the age now
    /// (released, the two would give it by addition).
    fn is_90_or_older(&self, patient: &Items, tumors: &[Items]) -> bool {
        let age = |t: &Items| {
            t.get("ageAtDiagnosis")
                .and_then(|a| a.parse::<u16>().ok())
                .filter(|a| *a < 999)
        };
        if tumors.iter().any(|t| age(t).is_some_and(|a| a >= 90)) {
            return true;
        }
        let reference = self.options.reference_year;
        match patient.get("dateOfBirth").and_then(|d| year_of(d)) {
            Some(born) => reference.saturating_sub(born) >= 90,
            None => tumors.iter().any(|t| {
                let dx = t.get("dateOfDiagnosis").and_then(|d| year_of(d));
                matches!((age(t), dx), (Some(a), Some(y)) if a + reference.saturating_sub(y) >= 90)
            }),
        }
    }

    /// Writes a CSV extract header; then call [`CsvExtract::write_patient`] per patient.
    pub fn csv<W: Write>(&self, mut out: W) -> Result<CsvExtract<'_, W>, Error> {
        let mut line = String::new();
        push_csv_field(&mut line, "studyId", true);
        push_csv_field(&mut line, "tumorSequence", false);
        for id in self.columns() {
            push_csv_field(&mut line, id, false);
        }
        line.push_str("\r\n");
        out.write_all(line.as_bytes())?;
        Ok(CsvExtract { release: self, out })
    }
}

/// The release form of one value under its class; identifiers never reach here (refused at
/// [`Release::new`]) but come out blank if they ever do.
fn release_value(class: ItemClass, raw: &str, age_90: bool) -> String {
    let raw = raw.trim();
    match class {
        ItemClass::Identifier(_) => String::new(),
        ItemClass::Releasable => raw.to_string(),
        // For someone 90 or older any calendar year, with the age at diagnosis, gives the birth
        // year and so the age over 89 (Safe Harbor): the years go with the birth year.
        ItemClass::Transformed(Transform::Year) if age_90 => String::new(),
        ItemClass::Transformed(Transform::Year) => {
            year_of(raw).map(|y| y.to_string()).unwrap_or_default()
        }
        ItemClass::Transformed(Transform::BirthYear) => match year_of(raw) {
            Some(y) if !age_90 => y.to_string(),
            _ => String::new(),
        },
        ItemClass::Transformed(Transform::AgeCap) => age_cap(raw),
        ItemClass::Transformed(Transform::Zip3) => zip3(raw),
    }
}

/// The year of a NAACCR date (`CCYY[MM[DD]]`) or date-time (`CCYY-MM-DD...`), when plausible.
fn year_of(s: &str) -> Option<u16> {
    let head = s.get(..4)?;
    let rest_ok = s.len() == 4
        || s.as_bytes()
            .get(4)
            .is_some_and(|b| b.is_ascii_digit() || *b == b'-');
    if !head.bytes().all(|b| b.is_ascii_digit()) || !rest_ok {
        return None;
    }
    head.parse::<u16>()
        .ok()
        .filter(|y| (1800..=2099).contains(y))
}

fn age_cap(raw: &str) -> String {
    if raw.len() != 3 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return String::new();
    }
    match raw.parse::<u16>() {
        Ok(999) => "999".to_string(),
        Ok(a) if (90..=120).contains(&a) => AGE_90_OR_OLDER.to_string(),
        Ok(a) if a < 90 => raw.to_string(),
        _ => String::new(),
    }
}

fn zip3(raw: &str) -> String {
    let digits = raw.bytes().all(|b| b.is_ascii_digit());
    if !digits || !(raw.len() == 5 || raw.len() == 9) {
        return String::new();
    }
    let prefix = &raw[..3];
    if raw.starts_with("99999") {
        String::new()
    } else if RESTRICTED_ZIP3.contains(&prefix) {
        "000".to_string()
    } else {
        prefix.to_string()
    }
}

/// Study ids for one extract: the registry's patient keys, deduplicated, shuffled with the
/// caller's random generator and numbered from 1. Pass a cryptographically secure generator
/// (`rand::rng()`) so the order cannot be replayed; a new extract gets new numbers.
#[derive(Debug, Clone, Default)]
pub struct StudyIds {
    ids: HashMap<String, u64>,
}

impl StudyIds {
    pub fn assign<I, R>(registry_keys: I, rng: &mut R) -> StudyIds
    where
        I: IntoIterator,
        I::Item: Into<String>,
        R: rand::Rng + ?Sized,
    {
        // Sorting first makes the result depend on the generator only, not on the order the
        // database happened to return.
        let keys: BTreeSet<String> = registry_keys.into_iter().map(Into::into).collect();
        let mut keys: Vec<String> = keys.into_iter().collect();
        keys.shuffle(rng);
        let ids = keys.into_iter().zip(1u64..).collect();
        StudyIds { ids }
    }

    /// The study id of a registry patient key, when it was assigned.
    pub fn get(&self, registry_key: &str) -> Option<u64> {
        self.ids.get(registry_key).copied()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A CSV extract being streamed: RFC 4180 (comma, CRLF, `"` quoting with doubled quotes), UTF-8,
/// one row per tumor. Cells a spreadsheet would run as a formula get a leading `'`.
pub struct CsvExtract<'a, W: Write> {
    release: &'a Release,
    out: W,
}

impl<W: Write> CsvExtract<'_, W> {
    /// Writes the patient's tumor rows.
    pub fn write_patient(&mut self, patient: &DeidPatient) -> Result<(), Error> {
        let mut line = String::new();
        for (n, values) in patient.tumors.iter().enumerate() {
            line.clear();
            push_csv_field(&mut line, &patient.study_id.to_string(), true);
            push_csv_field(&mut line, &(n + 1).to_string(), false);
            for v in values.iter().take(self.release.items.len()) {
                push_csv_field(&mut line, v, false);
            }
            line.push_str("\r\n");
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn push_csv_field(line: &mut String, value: &str, first: bool) {
    if !first {
        line.push(',');
    }
    // OWASP CSV injection: a cell starting with one of these runs as a formula in spreadsheet
    // programs. Plain numbers such as `-1.5` are not formulas and are left alone.
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(value);
    let quote = formula || value.contains([',', '"', '\r', '\n']);
    if quote {
        line.push('"');
    }
    if formula {
        line.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            line.push('"');
        }
        line.push(c);
    }
    if quote {
        line.push('"');
    }
}

fn is_plain_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = s.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str) -> &'static ItemDef {
        Dictionary::v260().item(id).unwrap()
    }

    #[test]
    fn classification_of_known_items() {
        for id in [
            "nameLast",
            "nameBirthSurname",
            "nameAlias",
            "nameSpouseParent",
            "socialSecurityNumber",
            "medicalRecordNumber",
            "telephone",
            "addrAtDxNoStreet",
            "addrCurrentSupplementl",
            "patientIdNumber",
            "accessionNumberHosp",
            "followUpContactName",
            "npiPhysicianManaging",
            "countyAtDx",
            "censusTract2020",
            "addrAtDxCity",
            "latitude",
            "textRemarks",
            "rxTextSurgery",
            "textUsualOccupation",
            "pathReportNumber1",
            "pathDateSpecCollect1",
        ] {
            assert!(
                matches!(classify(def(id)), ItemClass::Identifier(_)),
                "{id}"
            );
        }
        let t = |id| classify(def(id));
        assert_eq!(
            t("addrAtDxPostalCode"),
            ItemClass::Transformed(Transform::Zip3)
        );
        assert_eq!(
            t("dateOfDiagnosis"),
            ItemClass::Transformed(Transform::Year)
        );
        assert_eq!(
            t("dateOfLastContact"),
            ItemClass::Transformed(Transform::Year)
        );
        assert_eq!(
            t("dateOfBirth"),
            ItemClass::Transformed(Transform::BirthYear)
        );
        assert_eq!(
            t("ageAtDiagnosis"),
            ItemClass::Transformed(Transform::AgeCap)
        );
        for id in [
            "primarySite",
            "histologicTypeIcdO3",
            "addrAtDxState",
            "sexAssignedAtBirth",
            "race1",
            "vitalStatus",
        ] {
            assert_eq!(t(id), ItemClass::Releasable, "{id}");
        }
    }

    #[test]
    fn every_item_outside_record_type_i_and_every_date_is_protected() {
        for item in Dictionary::v260().items() {
            let class = classify(item);
            if !item.record_types.contains(RecordType::I) {
                assert!(matches!(class, ItemClass::Identifier(_)), "{}", item.id);
            }
            if matches!(item.data_type, DataType::Date | DataType::DateTime) {
                assert!(!matches!(class, ItemClass::Releasable), "{}", item.id);
            }
        }
    }

    #[test]
    fn refusals_name_each_item() {
        let req: Vec<String> = [
            "primarySite",
            "nameLast",
            "bogusItem",
            "dateOfBirth",
            "primarySite",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let refused = validate_request(&req).unwrap_err();
        let items: Vec<_> = refused.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(items, ["nameLast", "bogusItem", "primarySite"]);
        assert!(refused[0].reason.contains("direct identifier"));
        assert!(refused[1].reason.contains("not a NAACCR"));
        assert!(validate_request(&req[..1]).is_ok());
        assert!(matches!(
            Release::new(&req, ReleaseOptions { reference_year: 2025 }),
            Err(Error::Refused(r)) if r.len() == 3
        ));
    }

    #[test]
    fn ninety_or_older_without_a_birth_date() {
        let release = Release::new(
            &["ageAtDiagnosis".to_string(), "dateOfDiagnosis".to_string()],
            ReleaseOptions {
                reference_year: 2026,
            },
        )
        .unwrap();
        let items = |pairs: &[(&str, &str)]| -> Items {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let tumor =
            |age: &str, dx: &str| items(&[("ageAtDiagnosis", age), ("dateOfDiagnosis", dx)]);
        let nobody = Items::new();
        // 85 in 2020 is 91 in 2026: no year may go out with the age.
        assert!(release.is_90_or_older(&nobody, &[tumor("085", "20200310")]));
        assert!(!release.is_90_or_older(&nobody, &[tumor("080", "20200310")]));
        assert!(!release.is_90_or_older(&nobody, &[tumor("999", "19500101")]));
        // A birth date decides when there is one.
        let born = items(&[("dateOfBirth", "19400101")]);
        assert!(!release.is_90_or_older(&born, &[tumor("080", "20200310")]));
        let old = items(&[("dateOfBirth", "19300101")]);
        assert!(release.is_90_or_older(&old, &[tumor("080", "20100310")]));
        assert!(release.is_90_or_older(&born, &[tumor("090", "20300101")]));
    }

    #[test]
    fn transforms() {
        assert_eq!(zip3("03601"), "000");
        assert_eq!(zip3("036011234"), "000");
        assert_eq!(zip3("10001"), "100");
        assert_eq!(zip3("99999"), "");
        assert_eq!(zip3("88888"), "888");
        assert_eq!(zip3("K1A0B1"), "");
        assert_eq!(zip3("1000"), "");
        assert_eq!(age_cap("095"), AGE_90_OR_OLDER);
        assert_eq!(age_cap("089"), "089");
        assert_eq!(age_cap("999"), "999");
        assert_eq!(age_cap("121"), "");
        assert_eq!(age_cap("9x"), "");
        assert_eq!(year_of("20230415"), Some(2023));
        assert_eq!(year_of("2023-04-15T10:00:00"), Some(2023));
        assert_eq!(year_of("202"), None);
        assert_eq!(year_of("20x3"), None);
        assert_eq!(year_of("é"), None);
    }

    #[test]
    fn csv_quoting_and_formulas() {
        let mut s = String::new();
        push_csv_field(&mut s, "a,b", true);
        push_csv_field(&mut s, "say \"hi\"", false);
        push_csv_field(&mut s, "=HYPERLINK(\"x\")", false);
        push_csv_field(&mut s, "-1.5", false);
        push_csv_field(&mut s, "@SUM(A1)", false);
        push_csv_field(&mut s, "line\nbreak", false);
        assert_eq!(
            s,
            "\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",-1.5,\"'@SUM(A1)\",\"line\nbreak\""
        );
    }

    #[test]
    fn study_ids_are_a_permutation() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let keys: Vec<String> = (100..200).map(|k| k.to_string()).collect();
        let ids = StudyIds::assign(keys.clone(), &mut rng);
        let mut got: Vec<u64> = keys.iter().map(|k| ids.get(k).unwrap()).collect();
        let in_order = got.windows(2).all(|w| w[0] < w[1]);
        got.sort_unstable();
        assert_eq!(got, (1..=100).collect::<Vec<_>>());
        assert!(!in_order, "ids follow registry order");
        assert_eq!(ids.get("99"), None);
    }
}
