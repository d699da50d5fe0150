// The abstract of a tumor: items grouped as registrars know them, Save with If-Match, edits,
// staging, workflow, over-rides.

import { ApiError, dictionaryItems, get, lookupCatalog, post, request } from "./api.js";
import { itemField } from "./fields.js";
import { button, h, mount, say, showTime } from "./ui.js";

/** Registrars' groups; items not in the v26 dictionary at the Tumor level are left out. */
export const GROUPS = [
  ["Cancer Identification", [
    "primarySite", "histologicTypeIcdO3", "behaviorCodeIcdO3", "laterality", "dateOfDiagnosis",
    "diagnosticConfirmation", "gradeClinical", "gradePathological", "gradePostTherapyClin",
    "gradePostTherapy", "sequenceNumberHospital", "typeOfReportingSource", "classOfCase", "accessionNumberHosp",
    "dateOf1stContact",
    "primaryPayerAtDx", "ambiguousTerminologyDx", "dateConclusiveDx", "multTumRptAsOnePrim",
    "dateOfMultTumors", "multiplicityCounter",
  ]],
  ["Demographics at diagnosis", [
    "addrAtDxNoStreet", "addrAtDxCity", "addrAtDxState", "addrAtDxPostalCode", "countyAtDx",
    "addrAtDxCountry", "maritalStatusAtDx", "ageAtDiagnosis",
  ]],
  ["Stage and prognostic factors", [
    "tumorSizeClinical", "tumorSizePathologic", "tumorSizeSummary", "eodPrimaryTumor",
    "eodRegionalNodes", "eodMets", "regionalNodesPositive", "regionalNodesExamined",
    "sentinelLymphNodesExamined", "sentinelLymphNodesPositive", "lymphVascularInvasion",
    "summaryStage2018", "neoadjuvantTherapy",
  ]],
  ["First course treatment", [
    "rxSummSurgPrimSite2023", "rxSummSurgPrimSite", "rxDateSurgery", "rxSummScopeRegLnSur",
    "rxSummSurgOthRegDis", "reasonForNoSurgery", "rxSummSurgicalMargins", "rxSummReconBreast",
    "phase1RadiationTreatmentModality", "reasonForNoRadiation", "rxSummChemo", "rxSummHormone",
    "rxSummBrm", "rxSummOther", "rxSummTransplntEndocr", "rxSummSurgRadSeq", "rxSummSystemicSurSeq",
    "rxSummTreatmentStatus",
    "rxDateSystemic",
  ]],
  ["Follow-up and recurrence", ["recurrenceDate1st", "recurrenceType1st"]],
  ["Text documentation", [
    "textDxProcPe", "textDxProcXRayScan", "textDxProcPath", "textPrimarySiteTitle",
    "textHistologyTitle", "textStaging", "rxTextSurgery", "rxTextRadiation", "rxTextChemo",
    "rxTextHormone", "textRemarks",
  ]],
];

/** Items the service derives: shown, never typed. */
const DERIVED = [
  "schemaId", "schemaIdVersionCurrent", "schemaIdVersionOriginal", "derivedSummaryStage2018",
  "derivedSummaryGrade2018", "derivedEod2018StageGroup", "derivedEod2018T", "derivedEod2018N",
  "derivedEod2018M", "derivedSeerClinStgGrp", "derivedSeerPathStgGrp",
];

/** Staging inputs that the groups above already hold, or that come from the patient. */
const NOT_SSDI = new Set([
  "primarySite", "histologicTypeIcdO3", "behaviorCodeIcdO3", "dateOfDiagnosis", "sexAssignedAtBirth",
  "ageAtDiagnosis", "dateOfBirth", "schemaDiscriminator1", "schemaDiscriminator2", "schemaDiscriminator3",
]);

const REVIEWERS = ["reviewer", "manager"];

/**
 * "No treatment of this modality": one action codes the modality's items and the sequence
 * item it settles. Its dates stay blank: NAACCR XML (v24 on) has no date flags, a blank date
 * with a "not given" code says it.
 */
const NO_TREATMENT = [
  ["radiation", "No radiation", {
    phase1RadiationTreatmentModality: "00", reasonForNoRadiation: "1", rxSummSurgRadSeq: "0",
  }],
  ["systemic", "No systemic therapy", {
    rxSummChemo: "00", rxSummHormone: "00", rxSummBrm: "00", rxSummTransplntEndocr: "00", rxSummSystemicSurSeq: "0",
  }],
  ["other", "No other therapy", { rxSummOther: "0" }],
];

/**
 * Codes that follow from others, proposed ("Filled for you") for the registrar to confirm:
 * each rule is [target item, (value) => proposed code or undefined, why].
 */
const IMPLIED = [
  ["dateOf1stContact", (v) => (/^\d{8}$/.test(v("dateOfDiagnosis")) ? v("dateOfDiagnosis") : undefined), "the date of diagnosis"],
  ["neoadjuvTherapyClinicalResponse", (v) => (v("neoadjuvantTherapy") === "0" ? "0" : undefined), "no neoadjuvant therapy"],
  ["neoadjuvTherapyTreatmentEffect", (v) => (v("neoadjuvantTherapy") === "0" ? "0" : undefined), "no neoadjuvant therapy"],
  ["oncotypeDxRiskLevelInvasive", (v) => (v("oncotypeDxRecurrenceScoreInvasiv") === "XX9" ? "9" : undefined), "the score is not documented"],
  ["lnPositiveAxillaryLevel1To2", (v) => {
    const ex = v("regionalNodesExamined");
    return v("regionalNodesPositive") === "00" && /^\d\d$/.test(ex) && +ex >= 1 && +ex <= 90 ? "00" : undefined;
  }, "no regional node is positive"],
  ["tumorSizeSummary", (v) => {
    const p = v("tumorSizePathologic");
    return v("neoadjuvantTherapy") === "0" && /^\d{3}$/.test(p) && +p >= 1 && +p <= 989 ? p : undefined;
  }, "the pathologic size, without neoadjuvant therapy"],
  ["reasonForNoSurgery", (v) => {
    const s = v("rxSummSurgPrimSite2023") || v("rxSummSurgPrimSite");
    return /^[A-Z](?!000|990)\d{3}$/.test(s) || /^(1\d|[2-8]\d|90)$/.test(s) ? "0" : undefined;
  }, "a surgery is coded"],
];

function editItems(f) {
  return f.items || (f.item ? [f.item] : []);
}

/**
 * The abstract screen. `tumorId` null with `patientId` set: a new tumor for that patient
 * (created on the first save).
 */
export async function abstractScreen(session, { tumorId, patientId }) {
  const dict = await dictionaryItems();
  const catalog = await lookupCatalog();
  let tumor = null;
  let etag = null;
  if (tumorId) {
    const r = await get(`/api/v1/tumors/${encodeURIComponent(tumorId)}`);
    tumor = r.body;
    etag = r.etag;
    patientId = tumor.patientId;
  }
  const patient = (await get(`/api/v1/patients/${encodeURIComponent(patientId)}`)).body;
  const state = { tumor, etag, fields: new Map(), ssdiCodes: new Map(), schema: null, filled: new Map(), declined: new Set() };
  // A new or draft abstract starts from the facility's profile and the patient's other tumors.
  const drafting = !tumor || tumor.status === "draft";
  const facility = tumor ? tumor.facilityId : (session.facilities || [])[0];
  const [profile, others] = drafting
    ? await Promise.all([
        facility ? get(`/api/v1/facilities/${encodeURIComponent(facility)}/profile`).then((r) => r.body.items, () => ({})) : {},
        get(`/api/v1/patients/${encodeURIComponent(patientId)}/tumors`).then((r) => r.body.data.filter((t) => t.id !== tumorId).length, () => null),
      ])
    : [{}, null];
  const isReviewer = session.roles.some((r) => REVIEWERS.includes(r));
  const loaded = () => (state.tumor ? state.tumor.items : {});

  const context = () => {
    const site = value("primarySite");
    const dx = value("dateOfDiagnosis");
    return {
      site: /^C\d{3}$/i.test(site) ? site.toUpperCase() : undefined,
      year: /^\d{4}/.test(dx) ? dx.slice(0, 4) : undefined,
      behavior: value("behaviorCodeIcdO3") || undefined,
    };
  };
  const value = (id) => (state.fields.get(id)?.input.value ?? loaded()[id] ?? "").trim();

  function makeField(id, opts = {}) {
    const def = dict.get(id);
    if (!def || def.level !== "Tumor") return null;
    const f = itemField(def, opts.value ?? loaded()[id], {
      context,
      hasLookup: catalog.has(id) || opts.codes !== undefined,
      readOnly: opts.readOnly,
      onPick: opts.onPick,
    });
    if (opts.codes) {
      // SSDI codes come from the schema, not from the lookups.
      f.refreshLabel = () => {};
    }
    state.fields.set(id, f);
    // Typing over a value filled for you makes it the registrar's own.
    f.input.addEventListener("input", () => {
      if (state.filled.has(id)) {
        unmark(id);
        state.declined.add(id);
      }
    });
    return f;
  }

  // Values filled for the registrar (facility profile, codes implied by others): shown on
  // their fields as "Filled for you", left out of saves until confirmed, never filled silently.
  function fill(id, v, why) {
    const f = state.fields.get(id);
    if (!f || f.input.readOnly || state.declined.has(id)) return;
    if (state.filled.has(id) && state.filled.get(id) === why) {
      // Still a proposal: it follows what it was proposed from.
      if (v === undefined) {
        f.input.value = "";
        f.refreshLabel();
        unmark(id);
      } else if (f.input.value !== v) {
        f.input.value = v;
        f.refreshLabel();
      }
      return;
    }
    if (v === undefined || f.input.value.trim() !== "" || (loaded()[id] ?? "") !== "") return;
    f.input.value = v;
    f.refreshLabel();
    mark(id, why);
  }
  function mark(id, why) {
    const f = state.fields.get(id);
    state.filled.set(id, why);
    f.el.classList.add("filled");
    let note = f.el.querySelector(".filled-note");
    if (!note) {
      note = h("span", { class: "filled-note", id: `n-${id}` });
      f.el.append(note);
      f.input.setAttribute("aria-describedby", `${f.input.getAttribute("aria-describedby") || ""} n-${id}`.trim());
    }
    note.textContent = `Filled for you: ${why}`;
    renderConfirm();
  }
  function unmark(id) {
    const f = state.fields.get(id);
    state.filled.delete(id);
    if (f) {
      f.el.classList.remove("filled");
      f.el.querySelector(".filled-note")?.remove();
      f.input.setAttribute("aria-describedby", (f.input.getAttribute("aria-describedby") || "").replace(` n-${id}`, ""));
    }
    renderConfirm();
  }
  function confirmFilled() {
    const n = state.filled.size;
    for (const id of [...state.filled.keys()]) unmark(id);
    say(`${n} value(s) filled for you confirmed; they are saved with the next save.`, "ok");
  }
  function proposeAll() {
    if (!drafting) return;
    for (const [id, v] of Object.entries(profile)) fill(id, v, "facility profile");
    if (others === 0) fill("sequenceNumberHospital", "00", "the patient's only tumor");
    for (const [id, rule, why] of IMPLIED) fill(id, rule(value), why);
  }
  function noTreatment(items, label) {
    const set = [];
    for (const [id, v] of Object.entries(items)) {
      const f = state.fields.get(id);
      if (!f || f.input.readOnly || f.input.value.trim() !== "") continue;
      f.input.value = v;
      f.input.dispatchEvent(new Event("input", { bubbles: true }));
      set.push(id);
    }
    say(`${label}: ${set.length ? set.join(", ") : "nothing left to code"}.`, "ok");
  }

  // Histology takes `8500/3` (typed or picked) as histology and behavior.
  function splitHistology(code) {
    const m = /^(\d{4})\/(\d)$/.exec(code.trim());
    if (!m) return false;
    const hist = state.fields.get("histologicTypeIcdO3");
    const beh = state.fields.get("behaviorCodeIcdO3");
    hist.input.value = m[1];
    beh.input.value = m[2];
    hist.input.dispatchEvent(new Event("input", { bubbles: true }));
    beh.input.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  const groupsEl = [];
  for (const [title, ids] of GROUPS) {
    const dx = loaded().dateOfDiagnosis || "";
    const fields = ids
      .filter((id) => {
        if (id === "rxSummSurgPrimSite") return dx && dx.slice(0, 4) < "2023" && dx.slice(0, 4) >= "2018";
        if (id === "rxSummSurgPrimSite2023") return !(dx && dx.slice(0, 4) < "2023");
        return true;
      })
      .map((id) => makeField(id, id === "histologicTypeIcdO3" ? { onPick: splitHistology } : {}))
      .filter(Boolean);
    const fs = h("fieldset", { class: "group", id: `g-${title.split(" ")[0].toLowerCase()}` }, h("legend", {}, title), fields.map((f) => f.el));
    if (title.startsWith("First course")) {
      const acts = NO_TREATMENT.map(([key, label, items]) => button(label, () => noTreatment(items, label), { id: `none-${key}`, class: "none-btn" }));
      acts.push(button("No other first-course treatment", () => {
        for (const [, label, items] of NO_TREATMENT) {
          const main = Object.keys(items)[0];
          if (!value(main)) noTreatment(items, label);
        }
        say("Every modality left blank is coded as not given.", "ok");
      }, { id: "none-rest", class: "none-btn" }));
      fs.insertBefore(h("div", { class: "none-actions", role: "group", "aria-label": "No treatment of a modality" }, acts), fs.children[1]);
    }
    if (title.startsWith("Stage")) {
      state.ssdiBox = h("div", { class: "ssdi", id: "ssdi" });
      state.derivedBox = h("div", { class: "derived", id: "derived", "aria-live": "polite" });
      fs.append(state.ssdiBox, state.derivedBox);
    }
    groupsEl.push(fs);
  }
  const histInput = state.fields.get("histologicTypeIcdO3")?.input;
  histInput?.addEventListener("change", () => splitHistology(histInput.value));
  // The histology label depends on the behavior.
  state.fields.get("behaviorCodeIcdO3")?.input.addEventListener("input", () => state.fields.get("histologicTypeIcdO3")?.refreshLabel());

  // Over-ride flags: reviewers set them, with a reason.
  let overrideBox = null;
  let reasonInput = null;
  if (isReviewer && state.tumor) {
    const ids = [...dict.values()].filter((d) => d.id.startsWith("overRide") && d.level === "Tumor").map((d) => d.id);
    reasonInput = h("input", { id: "override-reason", type: "text", size: 40 });
    overrideBox = h(
      "fieldset",
      { class: "group", id: "g-overrides" },
      h("legend", {}, "Over-ride flags (reviewer)"),
      ids.map((id) => makeField(id)?.el),
      h("div", { class: "field wide" }, h("label", { for: "override-reason" }, "Reason for the over-ride"), reasonInput)
    );
  }

  const headerEl = h("p", { class: "summary", id: "tumor-summary" });
  const editsEl = h("section", { class: "panel", id: "edits-panel", "aria-labelledby": "edits-title" });
  const historyEl = h("section", { class: "panel", id: "history-panel", "aria-labelledby": "history-title" });
  const conflictEl = h("section", { class: "panel conflict", id: "conflict", hidden: true, role: "alert" });
  const actionsEl = h("div", { class: "actions", id: "actions" });
  const confirmEl = h("div", { id: "confirm-box" });
  const mphEl = h("section", { class: "panel", id: "mph-panel", hidden: true, "aria-labelledby": "mph-title" });
  const form = h("form", { id: "abstract-form", class: "abstract", novalidate: true, onsubmit: (ev) => { ev.preventDefault(); save(); } }, groupsEl, overrideBox);

  mount(
    state.tumor ? `Abstract · ${patient.items.nameLast || ""}, ${patient.items.nameFirst || ""}` : `New tumor · ${patient.items.nameLast || ""}, ${patient.items.nameFirst || ""}`,
    headerEl,
    h("div", { class: "abstract-layout" }, form, h("aside", { class: "side" }, actionsEl, confirmEl, conflictEl, mphEl, editsEl, historyEl))
  );
  // Ctrl+S anywhere on the screen (focus may be on a panel button), while it is shown.
  const onKey = (ev) => {
    if (!form.isConnected) return document.removeEventListener("keydown", onKey);
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "s" && !document.querySelector("dialog[open]")) {
      ev.preventDefault();
      save();
    }
    if (ev.altKey && (ev.key === "c" || ev.key === "C") && state.filled.size) {
      ev.preventDefault();
      confirmFilled();
    }
  };
  document.addEventListener("keydown", onKey);
  form.addEventListener("input", () => setTimeout(proposeAll, 0));

  function renderHeader() {
    const t = state.tumor;
    headerEl.replaceChildren(
      h("a", { href: `#/patient/${patient.id}` }, `Patient ${patient.items.patientIdNumber || patient.id}`),
      ...(t
        ? [
            ` · facility ${t.facilityId} · `,
            h("span", { class: `badge status-${t.status}`, id: "tumor-status" }, t.status),
            " · edits ",
            h("span", { class: `badge edit-${t.editStatus || "none"}`, id: "edit-status" }, t.editStatus || "—"),
            ` · version ${t.version} · last change ${showTime(t.updatedAt)}`,
          ]
        : [" · not saved yet"])
    );
  }

  function renderConfirm() {
    const n = state.filled.size;
    confirmEl.replaceChildren(
      ...(n
        ? [h("p", { class: "filled-summary" }, `${n} value(s) filled for you, marked on their fields: check them, change any, then confirm.`),
           button(`Confirm ${n} filled value(s) (Alt+C)`, confirmFilled, { id: "confirm-filled", class: "primary" })]
        : [])
    );
  }

  // The multiple-primary rules' view of this tumor against the patient's others, when the
  // service sends it (`mph`): same primary or questionable is a warning.
  function renderMph() {
    const pairs = state.tumor?.mph;
    mphEl.hidden = !Array.isArray(pairs) || !pairs.length;
    if (mphEl.hidden) return;
    const warn = pairs.filter((p) => p.result !== "MULTIPLE_PRIMARIES");
    mphEl.classList.toggle("warn", warn.length > 0);
    mphEl.replaceChildren(
      h("h2", { id: "mph-title" }, warn.length ? "Multiple primaries: check" : "Multiple primaries"),
      h("ul", { class: "edits" }, pairs.map((p) =>
        h("li", {}, h("a", { href: `#/tumor/${p.tumor2}` }, "other tumor"), `: ${String(p.result || p.decision).replaceAll("_", " ").toLowerCase()}${p.rule ? ` (rule ${p.rule})` : ""} — ${p.reason || ""}`)))
    );
  }

  function renderActions() {
    const t = state.tumor;
    const list = [button(t ? "Save (Ctrl+S)" : "Create tumor (Ctrl+S)", save, { id: "save", class: "primary" })];
    if (t) {
      list.push(button("Stage", stage, { id: "stage" }), button("Run edits", runEdits, { id: "run-edits" }));
      if (t.status === "draft") list.push(button("Send to review", () => setStatus("review"), { id: "to-review" }));
      if (t.status === "review" && isReviewer) list.push(button("Complete", () => setStatus("complete"), { id: "to-complete" }));
      if (t.status === "review") list.push(button("Return to draft…", () => setStatus("draft", true), { id: "to-draft" }));
      if (t.status === "complete" && isReviewer) list.push(button("Reopen…", () => setStatus("review", true), { id: "reopen" }));
    }
    actionsEl.replaceChildren(h("h2", {}, "Actions"), ...list);
  }

  function renderEdits() {
    const e = state.tumor?.edits;
    form.querySelectorAll(".field.edit-fail").forEach((el) => el.classList.remove("edit-fail"));
    const failures = (e?.failures || []).filter((f) => !f.overridden);
    for (const f of failures) {
      for (const item of editItems(f)) state.fields.get(item)?.el.classList.add("edit-fail");
    }
    editsEl.replaceChildren(
      h("h2", { id: "edits-title" }, "Edits"),
      !e
        ? h("p", {}, "Not run yet.")
        : h("p", {}, `${e.status}: ${e.errors} error(s), ${e.warnings} warning(s)`),
      h(
        "ul",
        { class: "edits" },
        failures.map((f) =>
          h(
            "li",
            { class: `sev-${f.severity}` },
            h("strong", {}, `${f.severity} ${f.editId || f.edit || ""}`),
            " ",
            f.message,
            " ",
            editItems(f).map((item) =>
              h("button", { type: "button", class: "link", onclick: () => state.fields.get(item)?.input.focus() }, item)
            )
          )
        )
      )
    );
  }

  function renderDerived() {
    const items = loaded();
    const present = DERIVED.filter((id) => items[id]);
    state.derivedBox.replaceChildren(
      h("h3", {}, "Derived by the service"),
      present.length
        ? h("dl", {}, present.map((id) => [h("dt", {}, `${dict.get(id)?.name || id} [${dict.get(id)?.number || ""}]`), h("dd", { id: `d-${id}` }, items[id])]))
        : h("p", {}, "Stage the tumor to derive Schema ID, Summary Stage and Grade.")
    );
  }

  // The site-specific data items of the tumor's EOD schema (diagnoses from 2018).
  let ssdiSeq = 0;
  async function loadSsdis() {
    const site = context().site;
    const hist = value("histologicTypeIcdO3");
    const year = context().year;
    const mine = ++ssdiSeq;
    if (!form.isConnected) return;
    if (!site || !/^\d{4}$/.test(hist) || (year && year < "2018")) {
      state.ssdiBox.replaceChildren();
      return;
    }
    try {
      const list = (await get(`/api/v1/staging/eod_public/schemas?site=${site}&hist=${hist}`)).body.data;
      if (mine !== ssdiSeq || !form.isConnected) return;
      if (list.length !== 1) {
        state.ssdiBox.replaceChildren(h("p", { class: "hint" }, list.length ? "The schema needs a discriminator." : "No EOD schema for this site and histology."));
        return;
      }
      if (state.schema === list[0].id) return;
      const schema = (await get(`/api/v1/staging/eod_public/schemas/${list[0].id}`)).body;
      if (mine !== ssdiSeq || !form.isConnected) return;
      state.schema = schema.id;
      const held = new Set(GROUPS.flatMap(([, ids]) => ids));
      const fields = [];
      for (const input of schema.inputs) {
        const id = input.naaccrXmlId;
        if (!id || NOT_SSDI.has(id) || held.has(id) || DERIVED.includes(id)) continue;
        const old = state.fields.get(id);
        const codes = new Map((input.codes || []).map((c) => [c.code, c.description]));
        const f = makeField(id, { value: old ? old.input.value : undefined, codes });
        if (!f) continue;
        const show = () => {
          const v = f.input.value.trim();
          const lbl = f.el.querySelector(".code-label");
          lbl.textContent = v ? codes.get(v) || (codes.size ? "" : "") : "";
        };
        f.input.addEventListener("input", show);
        f.refreshLabel = show;
        show();
        fields.push(f);
      }
      state.ssdiBox.replaceChildren(h("h3", {}, `Site-specific data items · ${schema.name || schema.id}`), ...fields.map((f) => f.el));
      for (const f of fields) {
        const id = f.el.dataset.item;
        if (state.filled.has(id)) mark(id, state.filled.get(id));
      }
      proposeAll();
      renderEdits();
    } catch (e) {
      state.ssdiBox.replaceChildren(h("p", { class: "hint" }, `Staging schemas unavailable: ${e.message}`));
    }
  }
  let ssdiTimer = null;
  for (const id of ["primarySite", "histologicTypeIcdO3", "dateOfDiagnosis"]) {
    state.fields.get(id)?.input.addEventListener("input", () => {
      clearTimeout(ssdiTimer);
      ssdiTimer = setTimeout(loadSsdis, 300);
    });
  }

  /** The changed items (blank -> null), or for a new tumor every entered item. */
  function changes() {
    const out = {};
    for (const [id, f] of state.fields) {
      if (f.input.readOnly || state.filled.has(id)) continue;
      const v = f.input.value.trim();
      const old = loaded()[id] ?? "";
      if (v !== old) out[id] = v === "" ? null : v;
    }
    if (!state.tumor) for (const k of Object.keys(out)) if (out[k] === null) delete out[k];
    return out;
  }

  function showErrors(e) {
    state.fields.forEach((f) => f.clearError());
    const rest = [];
    for (const { item, message } of e.itemErrors()) {
      const f = item && state.fields.get(item);
      if (f) f.setError(message);
      else rest.push(item ? `${item}: ${message}` : message);
    }
    const first = form.querySelector(".field.invalid input, .field.invalid textarea");
    first?.focus();
    say(`${e.message}${rest.length ? ` — ${rest.join("; ")}` : ""}`, "error");
  }

  function accept(r, message) {
    state.tumor = r.body.tumor || r.body;
    if (r.etag) state.etag = r.etag;
    for (const [id, f] of state.fields) {
      const v = state.tumor.items[id] ?? "";
      if (state.filled.has(id) && v === "") continue;
      if (state.filled.has(id)) unmark(id);
      if (f.input.value.trim() !== v) {
        f.input.value = v;
        f.refreshLabel();
      }
      f.clearError();
    }
    conflictEl.hidden = true;
    renderHeader();
    renderActions();
    renderEdits();
    renderDerived();
    renderMph();
    const n = state.filled.size;
    say(n ? `${message} ${n} value(s) filled for you are not saved until you confirm them.` : message, "ok");
  }

  async function save() {
    const items = changes();
    try {
      if (!state.tumor) {
        const r = await post(`/api/v1/patients/${encodeURIComponent(patientId)}/tumors`, { items });
        location.hash = `#/tumor/${r.body.id}`;
        say(state.filled.size ? `Tumor created; ${state.filled.size} value(s) filled for you are not saved until you confirm them.` : "Tumor created.", "ok");
        return;
      }
      if (!Object.keys(items).length) {
        say(state.filled.size ? `Nothing to save: confirm the ${state.filled.size} value(s) filled for you first.` : "Nothing to save.");
        return;
      }
      const body = { items };
      if (reasonInput && reasonInput.value.trim()) body.reason = reasonInput.value.trim();
      const r = await request("PATCH", `/api/v1/tumors/${state.tumor.id}`, { body, etag: state.etag });
      accept(r, `Saved (version ${r.body.version}).`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) return conflict(items);
      if (e instanceof ApiError && (e.status === 422 || e.status === 409)) return showErrors(e);
      say(e.message, "error");
    }
  }

  // Someone saved first: show what they changed beside what this screen holds; nothing is
  // overwritten, and a reload keeps this screen's unsaved values on top of theirs.
  async function conflict(mine) {
    let theirs;
    try {
      theirs = await get(`/api/v1/tumors/${state.tumor.id}`);
    } catch (e) {
      say(e.message, "error");
      return;
    }
    const t = theirs.body;
    const records = (await history()) || [];
    const who = records.filter((r) => r.action === "update").map((r) => r.actor).pop();
    const base = loaded();
    const changed = Object.keys({ ...base, ...t.items }).filter((k) => (base[k] ?? "") !== (t.items[k] ?? ""));
    const clash = Object.keys(mine).filter((k) => changed.includes(k));
    const rows = [...changed, ...Object.keys(mine).filter((k) => !changed.includes(k))];
    conflictEl.hidden = false;
    conflictEl.replaceChildren(
      h("h2", {}, "Changed by someone else"),
      h("p", { id: "conflict-who" }, `This abstract was saved by ${who || "another user"} at ${showTime(t.updatedAt)} (version ${t.version}; you had version ${state.tumor.version}). Your changes are not saved and are still on this screen.`),
      h(
        "table",
        {},
        h("caption", {}, "Their changes and yours"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Item"), h("th", { scope: "col" }, "Theirs"), h("th", { scope: "col" }, "Yours (unsaved)"))),
        h("tbody", {}, rows.map((k) => h("tr", { class: clash.includes(k) ? "clash" : "" }, h("td", {}, dict.get(k) ? `${dict.get(k).name} [${dict.get(k).number}]` : k), h("td", {}, changed.includes(k) ? t.items[k] ?? "(blank)" : "—"), h("td", {}, k in mine ? mine[k] ?? "(blank)" : "—"))))
      ),
      button("Reload theirs, keep my changes", () => {
        state.tumor = t;
        state.etag = theirs.etag;
        for (const [id, f] of state.fields) {
          if (state.filled.has(id) && !t.items[id]) continue;
          if (state.filled.has(id)) unmark(id);
          f.input.value = id in mine ? mine[id] ?? "" : t.items[id] ?? "";
          f.refreshLabel();
        }
        conflictEl.hidden = true;
        renderHeader();
        renderActions();
        renderEdits();
        renderDerived();
        say(`Reloaded version ${t.version}; your ${Object.keys(mine).length} change(s) are kept, not saved yet.`, "ok");
        state.fields.get(Object.keys(mine)[0])?.input.focus();
      }, { id: "reload-keep", class: "primary" })
    );
    say("Not saved: the abstract was changed by someone else.", "error");
    conflictEl.querySelector("button").focus();
  }

  /** Who changed what, when (the tumor's history from the audit trail). */
  async function history() {
    try {
      const r = await get(`/api/v1/tumors/${state.tumor.id}/history`);
      return r.body.data;
    } catch (e) {
      say(e.message, "error");
      return null;
    }
  }

  function renderHistoryButton() {
    historyEl.replaceChildren(
      h("h2", { id: "history-title" }, "History"),
      state.tumor ? button("Show item history", showHistory, { id: "show-history" }) : h("p", {}, "Not saved yet.")
    );
  }

  async function showHistory() {
    const records = await history();
    if (!records) return;
    const describe = (r) => {
      const d = r.details || {};
      if (r.action === "create") return "created";
      if (Array.isArray(d.changes)) return d.changes.map((c) => `${c.item}: ${c.old ?? "—"} → ${c.new ?? "—"}`).join("; ") + (d.reason ? ` (reason: ${d.reason})` : "");
      if (d.status && typeof d.status === "object") return `status ${d.status.old ?? ""} → ${d.status.new ?? ""}${d.reason ? ` (reason: ${d.reason})` : ""}`;
      return Object.keys(d).length ? JSON.stringify(d) : r.action;
    };
    historyEl.replaceChildren(
      h("h2", { id: "history-title" }, "History"),
      h("ol", { class: "history", reversed: true }, [...records].reverse().slice(0, 50).map((r) => h("li", {}, h("strong", {}, r.actor), ` ${showTime(r.at)}: `, describe(r))))
    );
  }

  async function stage() {
    if (Object.keys(changes()).length) {
      say("Save your changes before staging.", "error");
      return;
    }
    try {
      const r = await post(`/api/v1/tumors/${state.tumor.id}/stage`, {});
      accept({ body: r.body.tumor, etag: r.etag }, "Staged.");
      document.getElementById("derived")?.scrollIntoView({ block: "nearest" });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 422)) showErrors(e);
      else say(e.message, "error");
    }
  }

  async function runEdits() {
    try {
      await post(`/api/v1/tumors/${state.tumor.id}/edits`, {});
      const r = await get(`/api/v1/tumors/${state.tumor.id}`);
      accept(r, "Edits run.");
    } catch (e) {
      say(e.message, "error");
    }
  }

  async function setStatus(to, needsReason) {
    let reason;
    if (needsReason) {
      reason = await askReason(`Reason for moving back to ${to}`);
      if (!reason) return;
    }
    try {
      const r = await request("PUT", `/api/v1/tumors/${state.tumor.id}/status`, { body: { status: to, reason }, etag: state.etag });
      accept(r, `Status: ${to}.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) return conflict(changes());
      if (e instanceof ApiError && (e.status === 409 || e.status === 422)) return showErrors(e);
      say(e.message, "error");
    }
  }

  renderHeader();
  renderActions();
  renderHistoryButton();
  if (state.tumor) renderEdits();
  else editsEl.replaceChildren(h("h2", { id: "edits-title" }, "Edits"), h("p", {}, "Run on the first save."));
  renderDerived();
  renderMph();
  proposeAll();
  loadSsdis();
  state.fields.get("primarySite")?.input.focus();
}

/** A small dialog asking for a reason; resolves to the text or null. */
function askReason(title) {
  return new Promise((resolve) => {
    const input = h("input", { id: "reason-input", type: "text", size: 50, required: true });
    const dialog = h(
      "dialog",
      { "aria-labelledby": "reason-title" },
      h("form", { method: "dialog" },
        h("h2", { id: "reason-title" }, title),
        h("label", { for: "reason-input" }, "Reason"),
        input,
        h("div", { class: "row" }, h("button", { value: "ok", class: "primary", id: "reason-ok" }, "OK"), h("button", { value: "cancel", formnovalidate: true }, "Cancel")))
    );
    dialog.addEventListener("close", () => {
      const v = dialog.returnValue === "ok" ? input.value.trim() : "";
      dialog.remove();
      resolve(v || null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}
