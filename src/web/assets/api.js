// The REST API client: the token (kept for this tab only), JSON requests, problem details.

const TOKEN_KEY = "cancer-registry.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer that is not 2xx: status, the problem document and the response headers. */
export class ApiError extends Error {
  constructor(status, problem, headers) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.headers = headers;
  }

  /** Per-item errors of a 422 or 409: [{item, message, rule}] (edits may give `items`). */
  itemErrors() {
    const list = this.problem.errors || this.problem.failures || [];
    const out = [];
    for (const e of list) {
      const items = e.items || (e.item ? [e.item] : []);
      for (const item of items) out.push({ item, message: e.message || e.rule || "", rule: e.rule || e.edit });
      if (!items.length) out.push({ item: null, message: e.message || JSON.stringify(e) });
    }
    return out;
  }
}

const listeners = new Set();
/** Called with no argument when the service answers 401: the token is gone or expired. */
export function onUnauthenticated(fn) {
  listeners.add(fn);
}

/**
 * One request. `body` is sent as JSON; `etag` as If-Match. Resolves to {status, body, etag};
 * rejects with ApiError.
 */
export async function request(method, path, { body, etag, raw } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (raw && res.ok) return res;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (res.status === 401) {
    setToken(null);
    listeners.forEach((fn) => fn());
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers);
  return { status: res.status, body: data, etag: res.headers.get("ETag"), headers: res.headers };
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, { body });

/** Query string of the defined, non-empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

// Lookups: which items have one (fetched once), full lists of small items, and labels of codes.
let lookupItems = null;
const fullLists = new Map();
const labelCache = new Map();
const SMALL = 400;

export async function lookupCatalog() {
  if (!lookupItems) {
    lookupItems = get("/api/v1/lookups").then((r) => {
      const map = new Map();
      for (const i of r.body.items) map.set(i.item, i);
      return map;
    });
  }
  return lookupItems;
}

/** Codes of an item matching q (surgery items need site and year). */
export async function lookup(item, params) {
  const r = await get(`/api/v1/lookups/${encodeURIComponent(item)}${qs(params)}`);
  return r.body;
}

/** The label of a code, or null when the code is not in the item's list. */
export async function labelOf(item, code, context = {}) {
  if (!code) return null;
  const catalog = await lookupCatalog();
  const info = catalog.get(item);
  if (!info) return undefined;
  const key = `${item}|${code}|${context.site || ""}|${context.year || ""}|${context.behavior || ""}`;
  if (labelCache.has(key)) return labelCache.get(key);
  let label = null;
  if (info.count !== undefined && info.count <= SMALL) {
    if (!fullLists.has(item)) {
      fullLists.set(item, lookup(item, { limit: SMALL }).then((b) => new Map(b.codes.map((c) => [c.code, c.label]))));
    }
    label = (await fullLists.get(item)).get(code) ?? null;
  } else {
    const params = { q: code, limit: 3 };
    if (info.count === undefined) {
      if (!context.site) return undefined;
      params.site = context.site;
      if (context.year) params.year = context.year;
    }
    try {
      const b = await lookup(item, params);
      // ICD-O-3 morphology is listed with its behavior (`8500/3`); the item holds `8500`.
      const wanted = item === "histologicTypeIcdO3" && /^\d{4}$/.test(code) ? `${code}/${context.behavior || ""}` : code;
      const hit =
        b.codes.find((c) => c.code.toUpperCase() === wanted.toUpperCase()) ||
        (wanted !== code ? b.codes.find((c) => c.code.startsWith(`${code}/`)) : undefined);
      label = hit ? hit.label : null;
    } catch (e) {
      if (e.status === 400) return undefined;
      throw e;
    }
  }
  labelCache.set(key, label);
  return label;
}

// The NAACCR dictionary (names, numbers, lengths, levels), fetched once.
let dictionary = null;
export async function dictionaryItems() {
  if (!dictionary) {
    dictionary = get("/api/v1/dictionary/items").then((r) => {
      const map = new Map();
      for (const i of r.body.items) map.set(i.id, i);
      return map;
    });
  }
  return dictionary;
}
