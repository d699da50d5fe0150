// A facility's abstracting profile (managers): the Tumor items a new abstract of the facility
// starts with, shown there as "Filled for you" for the registrar to confirm.

import { ApiError, dictionaryItems, get, lookupCatalog, request } from "./api.js";
import { itemField } from "./fields.js";
import { button, h, input, mount, say } from "./ui.js";

/** Items a facility usually sets once (more can be added by NAACCR id). */
const USUAL = ["typeOfReportingSource", "classOfCase", "archiveFin", "npiArchiveFin"];

export async function profileScreen(session, facility) {
  const dict = await dictionaryItems();
  const catalog = await lookupCatalog();
  let r = await get(`/api/v1/facilities/${encodeURIComponent(facility)}/profile`);
  let profile = r.body;
  let etag = r.etag;
  const fields = new Map();
  const box = h("fieldset", { class: "group", id: "profile-items" }, h("legend", {}, `Defaults of facility ${facility}`));
  const addField = (id, v) => {
    const def = dict.get(id);
    if (!def || def.level !== "Tumor" || fields.has(id)) return null;
    const f = itemField(def, v, { hasLookup: catalog.has(id) });
    fields.set(id, f);
    box.append(f.el);
    return f;
  };
  for (const id of new Set([...USUAL, ...Object.keys(profile.items)])) addField(id, profile.items[id]);
  const add = h(
    "form",
    { class: "filters", id: "profile-add", onsubmit: (ev) => {
      ev.preventDefault();
      const id = document.getElementById("profile-new").value.trim();
      const f = addField(id, "");
      if (f) f.input.focus();
      else say(`${id} is not a Tumor item of the NAACCR dictionary, or is already listed.`, "error");
    } },
    input("profile-new", "Add an item (NAACCR id, e.g. multigeneSignatureMethod)", { size: 32, autocomplete: "off" }),
    h("button", { type: "submit" }, "Add item")
  );
  const form = h(
    "form",
    { id: "profile-form", class: "abstract", novalidate: true, onsubmit: (ev) => { ev.preventDefault(); save(); } },
    box,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "save-profile" }, "Save profile"))
  );
  const meta = h("p", { class: "hint", id: "profile-meta" });
  const showMeta = () => (meta.textContent = profile.version ? `Version ${profile.version}, by ${profile.updatedBy}.` : "Not set yet.");
  showMeta();
  mount(`Facility profile · ${facility}`, h("p", {}, "A new abstract of this facility starts with these values, marked “Filled for you” until the registrar confirms them. Blank items are left out."), meta, form, add);

  async function save() {
    const items = {};
    for (const [id, f] of fields) {
      f.clearError();
      const v = f.input.value.trim();
      if (v) items[id] = v;
    }
    try {
      r = await request("PUT", `/api/v1/facilities/${encodeURIComponent(facility)}/profile`, { body: { items }, etag });
      profile = r.body;
      etag = r.etag;
      showMeta();
      say(`Profile saved (version ${profile.version}).`, "ok");
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) return say("Not saved: the profile was changed by someone else. Reload to see it (your values are still on screen).", "error");
      if (e instanceof ApiError) for (const { item, message } of e.itemErrors()) fields.get(item)?.setError(message);
      say(e.message, "error");
    }
  }
}
