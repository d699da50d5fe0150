// Follow-up: the due list, delinquent cases first.

import { get } from "./api.js";
import { h, mount, say, showDate, table } from "./ui.js";

export async function followupScreen() {
  const list = h("div", { id: "due-list" });
  mount("Follow-up due", list);
  try {
    const r = await get("/api/v1/followup/due");
    const rows = [...r.body.data].sort((a, b) => Number(b.delinquent) - Number(a.delinquent));
    list.replaceChildren(
      h("p", {}, `As of ${r.body.asOf}: due after ${r.body.dueMonths} months without contact; delinquent after 15.`),
      table("Patients due for follow-up", ["Patient", "Name", "Last contact", "Months", "Delinquent", "Reasons", ""], rows.map((d) => [
        d.patientIdNumber || "",
        `${d.nameLast || ""}, ${d.nameFirst || ""}`,
        showDate(d.dateOfLastContact),
        String(d.monthsSinceContact),
        d.delinquent ? h("span", { class: "badge edit-errors" }, "delinquent") : "due",
        (d.reasons || []).join(", "),
        h("a", { href: `#/patient/${d.patientId}` }, "Record contact"),
      ]))
    );
  } catch (e) {
    list.replaceChildren(h("p", {}, e.message));
    say(e.message, "error");
  }
}
