// Submissions: start one for a recipient, watch its progress, download the file.

import { get, post, request } from "./api.js";
import { button, download, h, input, mount, say, select, showTime, table } from "./ui.js";

export async function submissionsScreen(session) {
  const listEl = h("div", { id: "submission-list" });
  const form = h(
    "form",
    { id: "submission-form", class: "filters", onsubmit: (ev) => { ev.preventDefault(); start(); } },
    input("s-recipient", "Recipient", { size: 16, required: true, value: "state-registry" }),
    select("s-type", "Record type", [["A", "A Full abstract"], ["M", "M Modified"], ["C", "C Confidential"], ["I", "I Incidence"]], "A"),
    select("s-status", "Abstracts", [["complete", "Complete only"], ["", "Any status"]], "complete"),
    h("div", { class: "field" }, h("label", { for: "s-changed" }, "New and changed since the last"), h("input", { id: "s-changed", type: "checkbox" })),
    h("button", { type: "submit", class: "primary" }, "Start submission")
  );
  mount("Submissions", form, listEl);
  let timer = null;

  async function start() {
    const selection = {};
    const status = document.getElementById("s-status").value;
    if (status) selection.status = status;
    if (document.getElementById("s-changed").checked) selection.changedSinceLast = true;
    if (session.facilities) selection.facilities = session.facilities;
    try {
      const r = await post("/api/v1/submissions", {
        recipient: document.getElementById("s-recipient").value.trim(),
        recordType: document.getElementById("s-type").value,
        naaccrVersion: "260",
        selection,
      });
      say(`Submission ${r.body.id} started.`, "ok");
      refresh();
    } catch (e) {
      say(e.message, "error");
    }
  }

  async function fetchFile(s) {
    try {
      const res = await request("GET", `/api/v1/submissions/${s.id}/file`, { raw: true });
      download(await res.blob(), `${s.recipient}-${s.id}.xml`);
    } catch (e) {
      say(e.message, "error");
    }
  }

  async function refresh() {
    clearTimeout(timer);
    if (!document.body.contains(listEl)) return;
    try {
      const r = await get("/api/v1/submissions?limit=50");
      listEl.replaceChildren(
        table("Submissions", ["Started", "Recipient", "Type", "Status", "Patients", "Tumors", "Bytes", "Report", ""], r.body.data.map((s) => [
          showTime(s.createdAt),
          s.recipient,
          s.recordType,
          h("span", { class: `badge sub-${s.status}` }, s.status),
          String(s.patients),
          String(s.tumors),
          String(s.fileBytes),
          s.error || "",
          s.status === "done" ? button("Download", () => fetchFile(s)) : "",
        ]))
      );
      if (r.body.data.some((s) => s.status !== "done" && s.status !== "failed")) timer = setTimeout(refresh, 1000);
    } catch (e) {
      listEl.replaceChildren(h("p", {}, e.message));
    }
  }
  refresh();
}
