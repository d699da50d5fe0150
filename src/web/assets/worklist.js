// The worklist: tumors by status and edit status, last change, paging; the review queue;
// patient search.

import { get, labelOf, qs } from "./api.js";
import { button, h, input, mount, say, select, showDate, showTime, table } from "./ui.js";

const PAGE = 25;

/** `params`: filters from the route (status, editStatus, dxYear). */
export async function worklistScreen(session, params) {
  const queue = params.queue === "review";
  const filters = h(
    "form",
    { class: "filters", id: "worklist-filters", onsubmit: (ev) => { ev.preventDefault(); go(); } },
    select("f-status", "Status", [["", "Any"], ["draft", "Draft"], ["review", "Review"], ["complete", "Complete"]], queue ? "review" : params.status || ""),
    select("f-edit", "Edit status", [["", "Any"], ["errors", "Errors"], ["warnings", "Warnings"], ["pass", "Pass"], ["not-run", "Not run"]], params.editStatus || ""),
    input("f-year", "Diagnosis year", { size: 4, maxlength: 4, inputmode: "numeric", value: params.dxYear || "" }),
    input("f-site", "Primary site", { size: 4, maxlength: 4, value: params.primarySite || "" }),
    h("button", { type: "submit", class: "primary" }, "Filter")
  );
  const search = h(
    "form",
    { class: "filters", id: "patient-search", role: "search", onsubmit: (ev) => { ev.preventDefault(); findPatients(); } },
    input("p-name", "Last name", { size: 14, maxlength: 40, autocomplete: "off" }),
    select("p-match", "Name match", [["exact", "Exact"], ["prefix", "Starts with"], ["soundex", "Sounds like"]], "exact"),
    input("p-first", "First name", { size: 10, maxlength: 40, autocomplete: "off" }),
    input("p-dob", "Date of birth", { size: 8, maxlength: 8, placeholder: "CCYYMMDD", inputmode: "numeric", autocomplete: "off" }),
    input("p-ssn", "SSN (last 4 or all 9)", { size: 9, maxlength: 9, inputmode: "numeric", autocomplete: "off" }),
    input("p-mrn", "Medical record number", { size: 11, maxlength: 11, autocomplete: "off" }),
    input("p-idnum", "Patient ID Number", { size: 10, maxlength: 8, autocomplete: "off" }),
    h("button", { type: "submit", id: "find-patient" }, "Find patient"),
    button("New patient", () => (location.hash = "#/patient/new"), { id: "new-patient" })
  );
  const results = h("div", { id: "patient-results" });
  const list = h("div", { id: "worklist" });
  const pager = h("div", { class: "pager" });
  mount(queue ? "Review queue" : "Worklist", h("section", { "aria-label": "Patient search" }, search, results), filters, list, pager);

  function go() {
    const p = {
      status: document.getElementById("f-status").value,
      editStatus: document.getElementById("f-edit").value,
      dxYear: document.getElementById("f-year").value.trim(),
      primarySite: document.getElementById("f-site").value.trim().toUpperCase(),
    };
    location.hash = `#/worklist${qs(p)}`;
  }

  async function findPatients() {
    const v = (id) => document.getElementById(id).value.trim();
    const terms = {
      patientIdNumber: v("p-idnum"),
      nameLast: v("p-name").toUpperCase(),
      nameFirst: v("p-first").toUpperCase(),
      dateOfBirth: v("p-dob"),
      ssn: v("p-ssn"),
      medicalRecordNumber: v("p-mrn"),
    };
    if (!Object.values(terms).some(Boolean)) {
      say("Enter a name, birth date, SSN, medical record number or Patient ID Number.", "error");
      document.getElementById("p-name").focus();
      return;
    }
    if (terms.nameLast) terms.nameMatch = v("p-match");
    try {
      const r = await get(`/api/v1/patients${qs({ ...terms, limit: 50 })}`);
      results.replaceChildren(
        table(
          "Patients found",
          ["Patient ID Number", "Name", "Date of birth", ""],
          r.body.data.map((p) => [
            p.items.patientIdNumber || "",
            `${p.items.nameLast || ""}, ${p.items.nameFirst || ""}`,
            showDate(p.items.dateOfBirth),
            h("a", { href: `#/patient/${p.id}` }, "Open"),
          ])
        )
      );
      say(`${r.body.data.length} patient(s) found.`);
    } catch (e) {
      say(e.message, "error");
    }
  }

  const cursors = params.cursor ? params.cursor.split(",") : [];
  const query = {
    status: queue ? "review" : params.status,
    editStatus: params.editStatus,
    dxYear: params.dxYear,
    primarySite: params.primarySite,
    limit: PAGE,
    cursor: cursors[cursors.length - 1],
  };
  const started = performance.now();
  try {
    const r = await get(`/api/v1/tumors${qs(query)}`);
    const rows = r.body.data.map((t) => [
      h("a", { href: `#/tumor/${t.id}` }, t.items.primarySite || "—"),
      h("span", { class: "site-label", dataset: { site: t.items.primarySite || "" } }),
      `${t.items.histologicTypeIcdO3 || ""}/${t.items.behaviorCodeIcdO3 || ""}`,
      showDate(t.items.dateOfDiagnosis),
      t.items.accessionNumberHosp || "",
      h("span", { class: `badge status-${t.status}` }, t.status),
      h("span", { class: `badge edit-${t.editStatus || "none"}` }, t.editStatus || "—"),
      showTime(t.updatedAt),
    ]);
    list.replaceChildren(table(queue ? "Abstracts waiting for review" : "Tumors", ["Site", "Site name", "Histology", "Diagnosis", "Accession", "Status", "Edits", "Last change"], rows));
    const base = { ...params };
    delete base.cursor;
    const link = (cs) => `#/${queue ? "queue" : "worklist"}${qs({ ...base, cursor: cs.join(",") })}`;
    pager.replaceChildren(
      cursors.length ? h("a", { href: link(cursors.slice(0, -1)), id: "prev-page" }, "← Previous") : null,
      r.body.next ? h("a", { href: link([...cursors, r.body.next]), id: "next-page" }, "Next →") : null
    );
    document.body.dataset.worklistMs = String(Math.round(performance.now() - started));
    // Site names after the table is on screen (one lookup per distinct site).
    const sites = [...new Set(r.body.data.map((t) => t.items.primarySite).filter(Boolean))];
    for (const s of sites) {
      labelOf("primarySite", s).then((label) => {
        list.querySelectorAll(`.site-label[data-site="${s}"]`).forEach((el) => (el.textContent = label || ""));
      });
    }
  } catch (e) {
    list.replaceChildren(h("p", {}, e.message));
    say(e.message, "error");
  }
}
