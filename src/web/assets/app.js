// The workspace shell: sign-in, who is signed in, navigation and the hash router.

import { get, onUnauthenticated, setToken, token } from "./api.js";
import { abstractScreen } from "./abstract.js";
import { followupScreen } from "./followup.js";
import { patientScreen } from "./patient.js";
import { profileScreen } from "./profile.js";
import { submissionsScreen } from "./submissions.js";
import { h, input, mount, say } from "./ui.js";
import { worklistScreen } from "./worklist.js";

let session = null;

function signInScreen(message) {
  const area = h("textarea", { id: "token", rows: 4, cols: 60, required: true, spellcheck: "false", autocomplete: "off" });
  const form = h(
    "form",
    { id: "signin", class: "signin", onsubmit: async (ev) => {
      ev.preventDefault();
      setToken(area.value.trim());
      await start();
    } },
    h("label", { for: "token" }, "Access token"),
    h("p", { class: "hint", id: "token-hint" }, "Paste the token from ", h("code", {}, "cancer-registry token"), " or your identity provider. It is kept for this browser tab only."),
    area,
    h("button", { type: "submit", class: "primary", id: "signin-button" }, "Sign in")
  );
  area.setAttribute("aria-describedby", "token-hint");
  renderWho();
  mount("Sign in", message ? h("p", { class: "status error", role: "alert" }, message) : null, form);
  area.focus();
}

function renderWho() {
  const who = document.getElementById("who");
  const nav = document.getElementById("nav");
  if (!session) {
    who.replaceChildren();
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  document.getElementById("nav-profile").hidden = !session.roles.includes("manager");
  const facilities = session.facilities ? session.facilities.join(", ") : "all facilities";
  who.replaceChildren(
    h("span", { id: "who-name" }, session.sub),
    " · ",
    h("span", { id: "who-roles" }, session.roles.join(", ")),
    " · ",
    h("span", { id: "who-facilities" }, facilities),
    " ",
    h("button", { type: "button", id: "signout", onclick: () => signOut("Signed out.") }, "Sign out")
  );
}

function signOut(message) {
  setToken(null);
  session = null;
  location.hash = "#/";
  signInScreen(message);
}

async function start() {
  if (!token()) return signInScreen();
  try {
    session = (await get("/api/v1/session")).body;
  } catch (e) {
    session = null;
    return signInScreen(e.status === 401 ? "The token was refused: it is invalid or expired." : e.message);
  }
  renderWho();
  await route();
}

async function route() {
  if (!session) return;
  const [path, query] = (location.hash.slice(1) || "/worklist").split("?");
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  const parts = path.split("/").filter(Boolean);
  document.querySelectorAll("#nav a").forEach((a) => a.removeAttribute("aria-current"));
  document.querySelector(`#nav a[href="#/${parts[0] || "worklist"}"]`)?.setAttribute("aria-current", "page");
  try {
    if (parts[0] === "tumor" && parts[1]) await abstractScreen(session, { tumorId: parts[1] });
    else if (parts[0] === "patient" && parts[1] && parts[2] === "new-tumor") await abstractScreen(session, { tumorId: null, patientId: parts[1] });
    else if (parts[0] === "patient" && parts[1]) await patientScreen(session, parts[1]);
    else if (parts[0] === "queue") await worklistScreen(session, { ...params, queue: "review" });
    else if (parts[0] === "followup") await followupScreen(session);
    else if (parts[0] === "submissions") await submissionsScreen(session);
    else if (parts[0] === "profile") {
      const facility = parts[1] || (session.facilities || [])[0];
      if (facility) await profileScreen(session, facility);
      else mount("Facility profile", h("form", { class: "filters", onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/profile/${document.getElementById("profile-facility").value.trim()}`; } },
        input("profile-facility", "Reporting Facility [540]", { size: 10, maxlength: 10, inputmode: "numeric" }), h("button", { type: "submit" }, "Open")));
    }
    else await worklistScreen(session, params);
  } catch (e) {
    if (!session) return;
    mount(e.status === 404 ? "Not found" : "Error", h("p", { id: "screen-error" }, e.status === 404 ? "There is no such record, or it belongs to another facility." : e.message));
    say(e.message, "error");
  }
  document.body.dataset.screenReady = String(Math.round(performance.now()));
}

onUnauthenticated(() => {
  if (session) signOut("Your session ended (the token expired or was refused). Sign in again.");
});
window.addEventListener("hashchange", () => {
  say("");
  route();
});
start();
