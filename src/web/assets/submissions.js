// Submissions: start one for a recipient (a record managers keep), watch its progress,
// download the file.

import { get, post, request } from "./api.js";
import { button, download, h, input, mount, say, select, showTime, table } from "./ui.js";

export async function submissionsScreen(session) {
  const listEl = h("div", { id: "submission-list" });
  let recipients = [];
  try {
    recipients = (await get("/api/v1/recipients")).body.data;
  } catch (e) {
    say(e.message, "error");
  }
  const form = h(
    "form",
    { id: "submission-form", class: "filters", onsubmit: (ev) => { ev.preventDefault(); start(); } },
    select("s-recipient", "Recipient", recipients.map((r) => [r.id, `${r.name} (${r.kind}, ${r.recordType})`]), recipients.length ? recipients[0].id : ""),
    select("s-status", "Abstracts", [["complete", "Complete only"], ["", "Any status"]], "complete"),
    h("div", { class: "field" }, h("label", { for: "s-pending" }, "Only new and changed since the last"), h("input", { id: "s-pending", type: "checkbox" })),
    h("button", { type: "submit", class: "primary" }, "Start submission")
  );
  mount("Submissions", form, listEl);
  let timer = null;

  async function start() {
    const selection = {};
    const status = document.getElementById("s-status").value;
    if (status) selection.status = status;
    if (document.getElementById("s-pending").checked) selection.pending = true;
    if (session.facilities) selection.facilities = session.facilities;
    const recipient = document.getElementById("s-recipient").value;
    if (!recipient) {
      say("No recipient yet: a manager adds one (POST /api/v1/recipients).", "error");
      return;
    }
    try {
      const r = await post("/api/v1/submissions", { recipient, selection });
      say(`Submission ${r.body.id} started.`, "ok");
      refresh();
    } catch (e) {
      say(e.message, "error");
    }
  }

  async function fetchFile(s) {
    try {
      const res = await request("GET", `/api/v1/submissions/${s.id}/file`, { raw: true });
      download(await res.blob(), `submission-${s.id}.xml`);
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
          s.recipientName || s.recipient,
          s.recordType,
          h("span", { class: `badge sub-${s.status}` }, s.status),
          String(s.patients),
          String(s.tumors),
          String(s.fileBytes),
          s.error || (s.excluded && s.excluded.length ? `${s.excluded.length} held back by edits` : "") + (s.withdrawals && s.withdrawals.length ? ` ${s.withdrawals.length} withdrawals` : ""),
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
