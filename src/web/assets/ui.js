// Small DOM helpers shared by the screens.

/** Element builder: h("div", {class: "x", onclick: fn}, child, "text", [children]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the main region with a screen and moves focus to its heading. */
export function mount(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren(h("h1", { tabindex: "-1", id: "screen-title" }, title), ...children);
  document.title = `${title} · cancer-registry`;
  main.querySelector("#screen-title").focus();
  return main;
}

/** A message in the status line (read by screen readers). */
export function say(text, kind = "info") {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

/** `20240315` -> `2024-03-15`; partial dates keep their parts. */
export function showDate(v) {
  if (!v) return "";
  if (/^\d{8}$/.test(v)) return `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6)}`;
  if (/^\d{6}$/.test(v)) return `${v.slice(0, 4)}-${v.slice(4)}`;
  return v;
}

export function showTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** A table with a caption; rows are arrays of cells (Node or text). */
export function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))) : h("tr", {}, h("td", { colspan: headers.length }, "None.")))
  );
}

/** A labelled input (for forms outside the abstract). */
export function input(id, label, attrs = {}) {
  return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, name: id, ...attrs }));
}

/** A labelled select of [value, text] pairs. */
export function select(id, label, options, value) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name: id }, options.map(([v, t]) => h("option", { value: v, selected: v === value }, t)))
  );
}

export function button(text, onclick, attrs = {}) {
  return h("button", { type: "button", onclick, ...attrs }, text);
}

/** Shows an error of the API in the status line; returns it for callers that inspect it. */
export function fail(e) {
  say(e.message || String(e), "error");
  return e;
}

/** Downloads a blob under a file name. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
