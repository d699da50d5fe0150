//! `/api/v1/mph` and the patient's primaries: the multiple primary and histology rules.

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::edits::refresh;
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, Json};
use super::AppState;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, ABSTRACTORS};
use crate::mph::patient::{self, PatientPrimaries, SequenceItem};
use crate::mph::{self, Decision, Outcome, TumorFields};

impl From<patient::Error> for ApiError {
    fn from(e: patient::Error) -> ApiError {
        match e {
            patient::Error::Abstracts(e) => ApiError::Abstracts(e),
            patient::Error::Tables(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<mph::TableError> for ApiError {
    fn from(e: mph::TableError) -> ApiError {
        ApiError::Internal(format!("the MP/H rule tables cannot be read: {e}"))
    }
}

/// The tumor items the rules read (NAACCR v26 item ids); other items may be sent and are ignored.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct MphTumorItems {
    /// Primary Site [400], e.g. `C445`.
    pub primary_site: Option<String>,
    /// Histologic Type ICD-O-3 [522].
    pub histologic_type_icd_o3: Option<String>,
    /// Behavior Code ICD-O-3 [523].
    pub behavior_code_icd_o3: Option<String>,
    /// Histology (92-00) ICD-O-2 [420]; read for diagnoses before 2001.
    pub histology_icd_o2: Option<String>,
    /// Behavior (92-00) ICD-O-2 [430]; read for diagnoses before 2001.
    pub behavior_icd_o2: Option<String>,
    /// Laterality [410].
    pub laterality: Option<String>,
    /// Date of Diagnosis [390]: `YYYYMMDD`, `YYYYMM` or `YYYY`.
    pub date_of_diagnosis: Option<String>,
}

impl MphTumorItems {
    fn fields(&self) -> TumorFields<'_> {
        fn s(v: &Option<String>) -> &str {
            v.as_deref().map(str::trim).unwrap_or("")
        }
        let date = s(&self.date_of_diagnosis);
        let part = |r: std::ops::Range<usize>| date.get(r).unwrap_or("");
        TumorFields {
            site: s(&self.primary_site),
            histology: s(&self.histologic_type_icd_o3),
            behavior: s(&self.behavior_code_icd_o3),
            histology_icdo2: s(&self.histology_icd_o2),
            behavior_icdo2: s(&self.behavior_icd_o2),
            laterality: s(&self.laterality),
            year: part(0..4),
            month: part(4..6),
            day: part(6..8),
        }
    }
}

/// Two tumors of one patient.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompareRequest {
    pub tumor1: MphTumorItems,
    pub tumor2: MphTumorItems,
}

/// A rule set: era and site group.
#[derive(Serialize, ToSchema)]
pub struct RuleSetRef {
    /// e.g. `str_2021_and_later_cutaneous_melanoma`.
    pub id: &'static str,
    /// e.g. `Solid Tumor 2021+ Cutaneous Melanoma`.
    pub name: &'static str,
}

/// The rules' answer for a pair of tumors.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MphDecision {
    pub decision: Decision,
    /// The decision as the SEER reference library spells it (`SINGLE_PRIMARY`, …).
    pub result: &'static str,
    /// Absent when the answer came before any rule (invalid input, different rule sets).
    pub rule_set: Option<RuleSetRef>,
    /// The deciding rule, e.g. `M7` (empty for the single-rule 1998 and 2001 heme rules).
    pub rule: Option<&'static str>,
    /// Why, in one line.
    pub reason: String,
    /// The kind of reason (`RULE_REASON`, `UNKNOWN_DATE`, `NOT_IN_TABLE`, …).
    pub reason_code: &'static str,
}

impl MphDecision {
    fn new(o: &Outcome, reason: String) -> Self {
        MphDecision {
            decision: o.decision,
            result: o.decision.as_reference(),
            rule_set: o.rule_set.map(|g| RuleSetRef {
                id: g.id,
                name: g.name,
            }),
            rule: o.step,
            reason,
            reason_code: o.message.code(),
        }
    }
}

/// Compare two tumors.
///
/// Stateless: single primary, multiple primaries or questionable (the rules leave it to the
/// registrar) by the rule set of the later diagnosis year, with the deciding rule.
#[utoipa::path(
    tag = "mph",
    request_body = CompareRequest,
    responses(
        (status = 200, body = MphDecision),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/mph/compare")]
pub async fn compare_tumors(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CompareRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let (a, b) = (body.tumor1.fields(), body.tumor2.fields());
    let year = i64::from(state.current_year);
    let o = mph::compare(&a, &b, year)?;
    Ok(HttpResponse::Ok().json(MphDecision::new(&o, o.reason(&a, &b, year))))
}

/// One primary of the patient.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryResponse {
    /// Its tumors, in diagnosis order.
    pub tumor_ids: Vec<String>,
    /// `malignant` (in situ or malignant, sequence 00-59) or `non-malignant` (60-88).
    pub series: &'static str,
    /// Proposed Sequence Number--Central [380] / --Hospital [560].
    pub sequence_number: String,
    /// Proposed Mult Tum Rpt as One Prim [444].
    pub mult_tum_rpt_as_one_prim: String,
    /// Proposed Date of Mult Tumors [445] (absent for a single tumor).
    pub date_of_mult_tumors: Option<String>,
    /// Proposed Multiplicity Counter [446].
    pub multiplicity_counter: String,
}

/// The decision for one pair of the patient's tumors.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PairResponse {
    pub tumor1: String,
    pub tumor2: String,
    #[serde(flatten)]
    pub decision: MphDecision,
}

/// A patient's tumors grouped into primaries.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrimariesResponse {
    pub patient_id: String,
    /// Tumors considered: those of the caller's facilities.
    pub tumor_count: usize,
    /// In order of first diagnosis.
    pub primaries: Vec<PrimaryResponse>,
    /// Every pair of tumors.
    pub pairs: Vec<PairResponse>,
}

fn primaries_response(patient_id: String, p: &PatientPrimaries) -> PrimariesResponse {
    let id = |i: usize| p.tumors[i].id.clone();
    PrimariesResponse {
        patient_id,
        tumor_count: p.tumors.len(),
        primaries: p
            .primaries
            .primaries
            .iter()
            .map(|x| PrimaryResponse {
                tumor_ids: x.tumors.iter().map(|i| id(*i)).collect(),
                series: if x.malignant {
                    "malignant"
                } else {
                    "non-malignant"
                },
                sequence_number: x.sequence.clone(),
                mult_tum_rpt_as_one_prim: x.mult_tum_rpt_as_one_prim.clone(),
                date_of_mult_tumors: x.date_of_mult_tumors.clone(),
                multiplicity_counter: x.multiplicity_counter.clone(),
            })
            .collect(),
        pairs: p
            .primaries
            .pairs
            .iter()
            .map(|x| PairResponse {
                tumor1: id(x.a),
                tumor2: id(x.b),
                decision: MphDecision::new(&x.outcome, x.reason.clone()),
            })
            .collect(),
    }
}

/// Mult Tum Rpt as One Prim [444], Date of Mult Tumors [445] and Multiplicity Counter [446]
/// proposed for the primary a tumor forms with others (not written: the registrar codes them).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProposedMultipleTumors {
    /// The tumors of that primary, in diagnosis order.
    pub tumor_ids: Vec<String>,
    pub mult_tum_rpt_as_one_prim: String,
    pub date_of_mult_tumors: Option<String>,
    pub multiplicity_counter: String,
}

/// The multiple primary rules on a tumor create or change: the tumor against every other
/// tumor of its patient that the caller sees (withdrawn tumors left out).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorMph {
    /// One per other tumor, in id order; `tumor1` is this tumor.
    pub pairs: Vec<PairResponse>,
    /// Single-primary verdicts against existing tumors. The abstract is stored; edit IRMP (or
    /// DUP for the same codes) fails until the tumors are merged, one is withdrawn, or a
    /// reviewer sets Over-ride Site/Lat/SeqNo [2010] with a reason.
    pub warnings: Vec<String>,
    /// Present when the rules make this tumor one primary with others.
    pub proposed: Option<ProposedMultipleTumors>,
}

/// The `mph` part of a tumor create or change response (`None`: no other tumor).
pub fn against_others(
    conn: &mut crate::db::DbConn,
    scope: &crate::auth::FacilityScope,
    tumor: &crate::abstracts::tumors::Tumor,
    current_year: i64,
) -> Result<Option<TumorMph>, ApiError> {
    let Some(found) = patient::against_others(conn, scope, tumor, current_year)? else {
        return Ok(None);
    };
    Ok(Some(TumorMph {
        pairs: found
            .pairs
            .into_iter()
            .map(|(other, outcome, reason)| PairResponse {
                tumor1: tumor.id.clone(),
                tumor2: other,
                decision: MphDecision::new(&outcome, reason),
            })
            .collect(),
        warnings: found.warnings,
        proposed: found.primary.map(|(tumor_ids, p)| ProposedMultipleTumors {
            tumor_ids,
            mult_tum_rpt_as_one_prim: p.mult_tum_rpt_as_one_prim,
            date_of_mult_tumors: p.date_of_mult_tumors,
            multiplicity_counter: p.multiplicity_counter,
        }),
    }))
}

fn read_event(patient_id: &str, p: &PatientPrimaries, purpose: &str) -> Event {
    let ids: Vec<&str> = p.tumors.iter().map(|t| t.id.as_str()).collect();
    Event {
        action: Action::Read,
        entity: "tumor",
        entity_id: None,
        details: json!({ "patientId": patient_id, "ids": ids, "purpose": purpose }),
    }
}

/// A patient's primaries.
///
/// The patient's tumors (of the caller's facilities) grouped into primaries by the multiple
/// primary rules: tumors linked by single-primary decisions are one primary; questionable pairs
/// stay apart for the registrar to settle. Every pair's decision and rule is listed.
#[utoipa::path(
    tag = "mph",
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, body = PrimariesResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/patients/{id}/primaries")]
pub async fn patient_primaries(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let year = i64::from(state.current_year);
    let response = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let p = patient::primaries(conn, &caller.facilities, &patient_id, year)?;
            audit.push(read_event(&patient_id, &p, "mph-primaries"));
            Ok::<_, ApiError>(primaries_response(patient_id, &p))
        })
        .await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Propose, or apply, sequence numbers.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SequenceRequest {
    /// Write the proposal (reviewers and managers only). Default: only propose.
    #[serde(default)]
    pub apply: bool,
    /// The item to write when applying.
    pub item: Option<SequenceItem>,
    /// When applying: every tumor id of the patient with the version (ETag number) it was read
    /// at, the If-Match of each tumor. A stale one fails the request (412) and nothing is written.
    #[serde(default)]
    pub versions: BTreeMap<String, i64>,
}

/// One tumor's sequence number.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorSequence {
    pub tumor_id: String,
    /// Its version after this request.
    pub version: i64,
    /// Sequence Number--Central [380] as stored.
    pub sequence_number_central: Option<String>,
    /// Sequence Number--Hospital [560] as stored.
    pub sequence_number_hospital: Option<String>,
    pub proposed: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SequenceResponse {
    pub patient_id: String,
    /// Whether the proposal was written.
    pub applied: bool,
    /// Tumors whose item changed.
    pub changed: Vec<String>,
    pub tumors: Vec<TumorSequence>,
    pub primaries: Vec<PrimaryResponse>,
}

/// Sequence numbers from the primaries.
///
/// Proposes Sequence Number--Central/Hospital for every tumor of the patient from its primaries
/// and diagnosis order: in situ/malignant 00 for the only one, else 01, 02, … (to 59);
/// non-malignant 60 for the only one, else 61, 62, … (to 88). With `apply`, a reviewer writes
/// them (one transaction, audited per tumor), naming each tumor's version.
#[utoipa::path(
    tag = "mph",
    params(("id" = String, Path, description = "Patient id")),
    request_body = SequenceRequest,
    responses(
        (status = 200, body = SequenceResponse),
        (status = 412, description = "A tumor changed since it was read", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "Applying without the version of every tumor", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/patients/{id}/sequence")]
pub async fn patient_sequence(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<SequenceRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let body = body.into_inner();
    let item = match (body.apply, body.item) {
        (true, None) => {
            return Err(ApiError::Invalid(vec![crate::abstracts::ItemError::new(
                "item",
                None,
                "required",
                "applying sequence numbers needs the item to write: central or hospital",
            )]))
        }
        (_, item) => item,
    };
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let year = i64::from(state.current_year);
    let tables = state.tables();
    let response = state
        .db
        .write(move |conn| {
            let (p, changed) = match item.filter(|_| body.apply) {
                Some(item) => {
                    let (p, changed) = patient::apply_sequence(
                        conn,
                        &caller,
                        &patient_id,
                        year,
                        item,
                        &body.versions,
                    )?;
                    for (t, c) in &changed {
                        audit::record(
                            conn,
                            &actor,
                            Event {
                                action: Action::Update,
                                entity: "tumor",
                                entity_id: Some(t.id.clone()),
                                details: json!({
                                    "changes": c,
                                    "version": t.version,
                                    "reason": "sequence numbers from the multiple primary rules",
                                }),
                            },
                        )?;
                    }
                    if !changed.is_empty() {
                        refresh(conn, &tables, &patient_id)?;
                    }
                    (p, changed)
                }
                None => (
                    patient::primaries(conn, &caller.facilities, &patient_id, year)?,
                    Vec::new(),
                ),
            };
            audit::record(conn, &actor, read_event(&patient_id, &p, "mph-sequence"))?;
            let proposed = p.proposed_sequence();
            let tumors = p
                .tumors
                .iter()
                .zip(&proposed)
                .map(|(t, s)| TumorSequence {
                    tumor_id: t.id.clone(),
                    version: t.version,
                    sequence_number_central: t.items.get("sequenceNumberCentral").cloned(),
                    sequence_number_hospital: t.items.get("sequenceNumberHospital").cloned(),
                    proposed: (*s).to_string(),
                })
                .collect();
            let primaries = primaries_response(patient_id.clone(), &p).primaries;
            Ok::<_, ApiError>(SequenceResponse {
                patient_id,
                applied: body.apply,
                changed: changed.iter().map(|(t, _)| t.id.clone()).collect(),
                tumors,
                primaries,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(response))
}
