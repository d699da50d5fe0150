// Keyboard-first item fields: type a code, see its label; F4 (or Alt+Down) opens a lookup.

import { labelOf, lookup, lookupCatalog } from "./api.js";
import { h, showDate } from "./ui.js";

/**
 * A field for one NAACCR item. `def` is its dictionary entry; `context()` gives the site and
 * year surgery lookups need; `onPick(code)` may take over a picked code (histology/behavior).
 */
export function itemField(def, value, { context = () => ({}), onPick, readOnly = false, hasLookup = false } = {}) {
  const id = `f-${def.id}`;
  const isText = def.dataType === "text" && def.length > 100;
  const input = isText
    ? h("textarea", { id, name: def.id, rows: 3, maxlength: def.length, readonly: readOnly })
    : h("input", {
        id,
        name: def.id,
        type: "text",
        maxlength: onPick ? def.length + 2 : def.length,
        size: Math.min(Math.max(def.length, 4), 24),
        autocomplete: "off",
        spellcheck: "false",
        readonly: readOnly,
        placeholder: def.dataType === "date" ? "CCYYMMDD" : undefined,
        "aria-describedby": `l-${def.id} e-${def.id}`,
      });
  input.value = value ?? "";
  const label = h("span", { class: "code-label", id: `l-${def.id}`, "aria-live": "polite" });
  const error = h("span", { class: "field-error", id: `e-${def.id}`, role: "alert" });
  const lookupButton = hasLookup && !readOnly
    ? h("button", { type: "button", class: "lookup-btn", tabindex: "-1", title: `Look up ${def.name} (F4)`, "aria-label": `Look up ${def.name}`, onclick: () => open() }, "…")
    : null;
  const el = h(
    "div",
    { class: `field item${isText ? " wide" : ""}`, dataset: { item: def.id } },
    h("label", { for: id }, def.name, " ", h("span", { class: "num" }, `[${def.number}]`)),
    h("div", { class: "control" }, input, lookupButton),
    label,
    error
  );

  let timer = null;
  let seq = 0;
  async function refreshLabel() {
    const v = input.value.trim();
    const mine = ++seq;
    if (!v) {
      label.textContent = "";
      label.classList.remove("unknown");
      return;
    }
    if (def.dataType === "date") {
      label.textContent = showDate(v);
      return;
    }
    if (!hasLookup) {
      label.textContent = "";
      return;
    }
    try {
      const text = await labelOf(def.id, v, context());
      if (mine !== seq) return;
      if (text === undefined) label.textContent = "";
      else if (text === null) {
        label.textContent = "not a code of this item";
        label.classList.add("unknown");
      } else {
        label.textContent = text;
        label.classList.remove("unknown");
      }
    } catch {
      label.textContent = "";
    }
  }

  async function open() {
    const picked = await openLookup(def, input.value.trim(), context());
    input.focus();
    if (picked == null) return;
    if (onPick && onPick(picked)) return;
    input.value = picked;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  input.addEventListener("input", () => {
    clearError();
    clearTimeout(timer);
    timer = setTimeout(refreshLabel, 120);
  });
  input.addEventListener("keydown", (ev) => {
    if (hasLookup && !readOnly && (ev.key === "F4" || (ev.altKey && ev.key === "ArrowDown"))) {
      ev.preventDefault();
      open();
    }
  });

  function setError(message) {
    error.textContent = message;
    el.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
  }
  function clearError() {
    error.textContent = "";
    el.classList.remove("invalid");
    input.removeAttribute("aria-invalid");
  }
  refreshLabel();
  return { el, input, setError, clearError, refreshLabel, open };
}

/** The lookup dialog: search as you type, arrows to move, Enter to pick, Escape to cancel. */
export function openLookup(def, initial, context = {}) {
  return new Promise((resolve) => {
    const listId = "lookup-results";
    const search = h("input", {
      id: "lookup-q",
      type: "search",
      autocomplete: "off",
      role: "combobox",
      "aria-expanded": "true",
      "aria-controls": listId,
      "aria-autocomplete": "list",
    });
    search.value = initial || "";
    const list = h("ul", { id: listId, role: "listbox", "aria-label": `${def.name} codes` });
    const note = h("p", { class: "hint", "aria-live": "polite" });
    const dialog = h(
      "dialog",
      { class: "lookup", "aria-labelledby": "lookup-title" },
      h("h2", { id: "lookup-title" }, `${def.name} [${def.number}]`),
      h("label", { for: "lookup-q" }, "Code or words"),
      search,
      note,
      list,
      h("p", { class: "hint" }, "↑/↓ move · Enter picks · Esc cancels")
    );
    let codes = [];
    let active = 0;
    let seq = 0;
    let done = false;
    function finish(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    function render() {
      list.replaceChildren(
        ...codes.map((c, i) =>
          h(
            "li",
            {
              id: `opt-${i}`,
              role: "option",
              "aria-selected": i === active ? "true" : "false",
              class: i === active ? "active" : "",
              onmousedown: (ev) => {
                ev.preventDefault();
                finish(c.code);
              },
            },
            h("span", { class: "code" }, c.code),
            " ",
            c.label,
            c.matched ? h("span", { class: "matched" }, ` (${c.matched})`) : null,
            c.validFrom ? h("span", { class: "years" }, ` ${c.validFrom}–${c.validTo ?? ""}`) : null
          )
        )
      );
      if (codes.length) {
        search.setAttribute("aria-activedescendant", `opt-${active}`);
        list.querySelector(".active")?.scrollIntoView({ block: "nearest" });
      } else search.removeAttribute("aria-activedescendant");
    }
    async function run() {
      const mine = ++seq;
      const params = { q: search.value.trim(), limit: 50 };
      if (context.site) params.site = context.site;
      if (context.year) params.year = context.year;
      try {
        const catalog = await lookupCatalog();
        const surgery = catalog.get(def.id)?.count === undefined;
        if (!surgery) {
          delete params.site;
          delete params.year;
        }
        const b = await lookup(def.id, params);
        if (mine !== seq) return;
        codes = b.codes;
        active = 0;
        note.textContent = `${b.total} found${b.table ? ` · ${b.table} table, ${b.edition} edition` : ""}`;
        render();
      } catch (e) {
        if (mine !== seq) return;
        codes = [];
        note.textContent = e.message;
        render();
      }
    }
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, 100);
    });
    search.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown" && codes.length) {
        active = Math.min(active + 1, codes.length - 1);
        render();
        ev.preventDefault();
      } else if (ev.key === "ArrowUp" && codes.length) {
        active = Math.max(active - 1, 0);
        render();
        ev.preventDefault();
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        if (codes[active]) finish(codes[active].code);
      }
    });
    dialog.addEventListener("close", () => finish(null));
    document.body.append(dialog);
    dialog.showModal();
    search.focus();
    search.select();
    run();
  });
}
