// A patient: demographics, tumors, follow-up contacts and the next contact due.

import { ApiError, dictionaryItems, get, lookupCatalog, post, request } from "./api.js";
import { itemField } from "./fields.js";
import { button, h, input, mount, say, select, showDate, showTime, table } from "./ui.js";

export const DEMOGRAPHICS = [
  "patientIdNumber", "nameLast", "nameFirst", "nameMiddle", "nameBirthSurname", "dateOfBirth",
  "sexAssignedAtBirth", "race1", "race2", "spanishHispanicOrigin", "socialSecurityNumber",
  "birthplaceState", "birthplaceCountry", "addrCurrentCity", "addrCurrentState",
  "addrCurrentPostalCode", "vitalStatus", "dateOfLastContact",
];
/** Kept by follow-up contacts, never typed here. */
const FOLLOW_UP_KEPT = new Set(["vitalStatus", "dateOfLastContact"]);

export async function patientScreen(session, patientId) {
  const dict = await dictionaryItems();
  const catalog = await lookupCatalog();
  let patient = null;
  let etag = null;
  if (patientId !== "new") {
    const r = await get(`/api/v1/patients/${encodeURIComponent(patientId)}`);
    patient = r.body;
    etag = r.etag;
  }
  const fields = new Map();
  for (const id of DEMOGRAPHICS) {
    const def = dict.get(id);
    if (!def || def.level !== "Patient") continue;
    fields.set(id, itemField(def, patient?.items[id], { hasLookup: catalog.has(id), readOnly: FOLLOW_UP_KEPT.has(id) }));
  }
  const form = h(
    "form",
    { id: "patient-form", class: "abstract", novalidate: true, onsubmit: (ev) => { ev.preventDefault(); save(); } },
    h("fieldset", { class: "group" }, h("legend", {}, "Demographics"), [...fields.values()].map((f) => f.el)),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "save-patient" }, patient ? "Save patient (Ctrl+S)" : "Create patient (Ctrl+S)"))
  );
  const onKey = (ev) => {
    if (!form.isConnected) return document.removeEventListener("keydown", onKey);
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") {
      ev.preventDefault();
      save();
    }
  };
  document.addEventListener("keydown", onKey);
  const tumorsEl = h("section", { id: "patient-tumors" });
  const contactsEl = h("section", { id: "patient-contacts" });
  const primariesEl = h("section", { id: "patient-primaries", "aria-labelledby": "primaries-title" });
  const title = patient ? `Patient · ${patient.items.nameLast || ""}, ${patient.items.nameFirst || ""}` : "New patient";
  mount(title, h("div", { class: "patient-layout" }, form, h("div", {}, tumorsEl, contactsEl)));
  fields.get("patientIdNumber")?.input.focus();

  async function save() {
    const items = {};
    for (const [id, f] of fields) {
      if (f.input.readOnly) continue;
      const v = f.input.value.trim();
      const old = patient?.items[id] ?? "";
      if (v !== old) items[id] = v === "" ? null : v;
    }
    fields.forEach((f) => f.clearError());
    try {
      if (!patient) {
        for (const k of Object.keys(items)) if (items[k] === null) delete items[k];
        const r = await post("/api/v1/patients", { items });
        say("Patient created.", "ok");
        location.hash = `#/patient/${r.body.id}`;
        return;
      }
      if (!Object.keys(items).length) return say("Nothing to save.");
      const r = await request("PATCH", `/api/v1/patients/${patient.id}`, { body: { items }, etag });
      patient = r.body;
      etag = r.etag;
      say(`Saved (version ${patient.version}).`, "ok");
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) return say("Not saved: the patient was changed by someone else. Reload the page to see their changes (yours are still on screen).", "error");
      if (e instanceof ApiError) {
        for (const { item, message } of e.itemErrors()) fields.get(item)?.setError(message);
      }
      say(e.message, "error");
    }
  }

  if (!patient) {
    tumorsEl.replaceChildren(h("p", {}, "Create the patient, then add tumors."));
    return;
  }
  const tumors = (await get(`/api/v1/patients/${patient.id}/tumors`)).body.data;
  tumorsEl.replaceChildren(
    h("h2", {}, "Tumors"),
    table("Tumors of the patient", ["Site", "Histology", "Diagnosis", "Status", "Edits", "Last change"], tumors.map((t) => [
      h("a", { href: `#/tumor/${t.id}` }, t.items.primarySite || "(no site)"),
      `${t.items.histologicTypeIcdO3 || ""}/${t.items.behaviorCodeIcdO3 || ""}`,
      showDate(t.items.dateOfDiagnosis),
      h("span", { class: `badge status-${t.status}` }, t.status),
      h("span", { class: `badge edit-${t.editStatus || "none"}` }, t.editStatus || "—"),
      showTime(t.updatedAt),
    ])),
    h("a", { href: `#/patient/${patient.id}/new-tumor`, id: "new-tumor", class: "button" }, "New tumor"),
    primariesEl
  );
  primaries(patient, tumors);
  await contacts(patient, tumors);

  // The tumors grouped into primaries by the multiple primary and histology rules.
  async function primaries(p, tumorList) {
    if (!tumorList.length) return;
    const site = new Map(tumorList.map((t) => [t.id, t.items.primarySite || t.id]));
    try {
      const r = (await get(`/api/v1/patients/${p.id}/primaries`)).body;
      primariesEl.replaceChildren(
        h("h2", { id: "primaries-title" }, "Primaries"),
        table("Primaries by the MP/H rules", ["Sequence", "Series", "Tumors", "Multiplicity"], r.primaries.map((x) => [
          x.sequenceNumber,
          x.series,
          x.tumorIds.map((id, i) => [i ? ", " : "", h("a", { href: `#/tumor/${id}` }, site.get(id) || id)]),
          x.multiplicityCounter,
        ])),
        // (replaceChildren would print a null.)
        ...(r.pairs.length
          ? [h("ul", { class: "edits", id: "primary-pairs" }, r.pairs.map((pair) => h("li", {}, `${site.get(pair.tumor1)} and ${site.get(pair.tumor2)}: ${String(pair.result || pair.decision).replaceAll("_", " ").toLowerCase()}${pair.rule ? ` (rule ${pair.rule})` : ""}`)))]
          : [])
      );
    } catch (e) {
      primariesEl.replaceChildren(h("h2", { id: "primaries-title" }, "Primaries"), h("p", { class: "hint" }, `Not available: ${e.message}`));
    }
  }

  async function contacts(p, tumorList) {
    const list = (await get(`/api/v1/patients/${p.id}/contacts`)).body.data;
    const last = p.items.dateOfLastContact;
    let due = "";
    if (/^\d{8}$/.test(last || "") && p.items.vitalStatus !== "0") {
      const d = new Date(`${last.slice(0, 4)}-${last.slice(4, 6)}-${last.slice(6)}T00:00:00Z`);
      d.setUTCMonth(d.getUTCMonth() + 12);
      due = d.toISOString().slice(0, 10);
    }
    const form = h(
      "form",
      { id: "contact-form", class: "filters", onsubmit: (ev) => { ev.preventDefault(); record(); } },
      input("c-date", "Contact date", { size: 8, maxlength: 8, placeholder: "CCYYMMDD", required: true }),
      select("c-vital", "Vital status", [["1", "1 Alive"], ["0", "0 Dead"]], "1"),
      input("c-source", "Follow-up source", { size: 2, maxlength: 1 }),
      tumorList.map((t) => select(`c-status-${t.id}`, `Cancer status ${t.items.primarySite || ""}`, [["", "—"], ["1", "1 No evidence"], ["2", "2 Evidence"], ["9", "9 Unknown"]], "")),
      h("button", { type: "submit" }, "Record contact")
    );
    contactsEl.replaceChildren(
      h("h2", {}, "Follow-up"),
      h("p", { id: "next-due" }, p.items.vitalStatus === "0" ? "Patient is dead: no follow-up due." : last ? `Last contact ${showDate(last)}; next contact due by ${due || "—"} (12 months).` : "No contact yet."),
      table("Contacts", ["Date", "Vital status", "Source", "Applied", "Recorded by"], list.map((c) => [showDate(c.date), c.vitalStatus, c.followUpSource || "", c.applied ? "yes" : "no (older)", c.recordedBy || ""])),
      h("h3", {}, "Record a contact"),
      form
    );
    async function record() {
      const body = {
        date: document.getElementById("c-date").value.trim(),
        vitalStatus: document.getElementById("c-vital").value,
        tumors: {},
      };
      const src = document.getElementById("c-source").value.trim();
      if (src) body.followUpSource = src;
      for (const t of tumorList) {
        const v = document.getElementById(`c-status-${t.id}`).value;
        if (v) body.tumors[t.id] = v;
      }
      try {
        await post(`/api/v1/patients/${p.id}/contacts`, body);
        say("Contact recorded.", "ok");
        // The contact moved the follow-up items and the patient's version.
        const r = await get(`/api/v1/patients/${p.id}`);
        patient = r.body;
        etag = r.etag;
        for (const id of FOLLOW_UP_KEPT) {
          const f = fields.get(id);
          if (f) {
            f.input.value = patient.items[id] ?? "";
            f.refreshLabel();
          }
        }
        await contacts(patient, tumorList);
      } catch (e) {
        say(e.message + (e instanceof ApiError ? e.itemErrors().map((x) => ` ${x.item}: ${x.message}`).join(";") : ""), "error");
      }
    }
  }
}

