//! Automated accessibility checks of a screen, in the page itself: every form control has a
//! label, the keyboard (Tab) reaches every control in document order, text meets WCAG AA
//! contrast, and the screen fits 1280x800 without horizontal scrolling.

use crate::webdriver::{keys, Session};

/// Labels, contrast and width: a list of problems (empty when the screen passes).
const STATIC_CHECKS: &str = r#"
const problems = [];
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  && getComputedStyle(el).visibility !== 'hidden' && !el.closest('[hidden]');
const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
// Labels.
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  if (!visible(el)) continue;
  const labelled = [...(el.labels || [])].some((l) => l.textContent.trim())
    || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(' ').some((id) => document.getElementById(id)?.textContent.trim());
  if (!labelled) problems.push('no label: ' + describe(el));
}
for (const el of document.querySelectorAll('button, a[href]')) {
  if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label'))) problems.push('no name: ' + describe(el));
}
// Contrast (WCAG 2.1 AA: 4.5:1, 3:1 for large text).
const parse = (c) => { const m = c.match(/[\d.]+/g) || [0, 0, 0, 0]; return [+m[0], +m[1], +m[2], m[3] === undefined ? 1 : +m[3]]; };
const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
  return out;
};
const checked = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const targets = [];
for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent.trim() && n.parentElement) targets.push(n.parentElement);
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) if (el.value) targets.push(el);
let worst = 21;
for (const el of targets) {
  if (checked.has(el) || !visible(el) || el.closest('.skip') || el.closest('option')) continue;
  checked.add(el);
  const s = getComputedStyle(el);
  const fg = parse(s.color);
  const bg = background(el);
  const text = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
  const [a, b] = [lum(text), lum(bg)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(s.fontSize);
  const large = size >= 24 || (size >= 18.66 && +s.fontWeight >= 700);
  worst = Math.min(worst, ratio);
  if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}:1 ${describe(el)} "${(el.value || el.textContent).trim().slice(0, 30)}"`);
}
// 1280x800: nothing wider than the window.
if (document.documentElement.scrollWidth > window.innerWidth + 1)
  problems.push(`horizontal scroll: ${document.documentElement.scrollWidth} px in a ${window.innerWidth} px window`);
return { problems, worst, width: window.innerWidth, height: window.innerHeight, controls: document.querySelectorAll('input, select, textarea, button, a[href]').length };
"#;

/// Numbers the focusable controls in document order and records each focus.
const TAB_SETUP: &str = r#"
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  && getComputedStyle(el).visibility !== 'hidden' && !el.closest('[hidden]') && !el.closest('dialog:not([open])');
const all = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]')]
  .filter((el) => !el.disabled && el.tabIndex >= 0 && visible(el));
all.forEach((el, i) => (el.dataset.a11yIdx = i));
window.__tabs = [];
window.__onFocus = (e) => window.__tabs.push(e.target.dataset ? e.target.dataset.a11yIdx ?? describe(e.target) : '?');
const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
// Tab starts from the top: focus a temporary, unlisted point before everything (a blur
// would leave the browser's sequential-navigation starting point where the focus was).
const start = document.createElement('span');
start.tabIndex = -1;
start.id = 'a11y-start';
document.body.prepend(start);
start.focus();
document.addEventListener('focusin', window.__onFocus);
window.scrollTo(0, 0);
return { count: all.length, positive: [...document.querySelectorAll('[tabindex]')].filter((e) => e.tabIndex > 0).length };
"#;

/// What one screen's checks found.
pub struct Report {
    pub problems: Vec<String>,
    pub controls: u64,
    pub tab_stops: u64,
    pub worst_contrast: f64,
}

/// Runs every check on the screen shown; `screen` names it in the problems.
pub fn check(s: &Session, screen: &str) -> Report {
    let r = s.eval(STATIC_CHECKS);
    let mut problems: Vec<String> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{screen}: {}", p.as_str().unwrap()))
        .collect();
    assert_eq!(r["width"], 1280, "the window is 1280x800");
    // The keyboard walk: Tab from the top reaches every control once, in document order.
    let setup = s.eval(TAB_SETUP);
    let count = setup["count"].as_u64().unwrap();
    if setup["positive"].as_u64().unwrap() > 0 {
        problems.push(format!("{screen}: positive tabindex breaks the order"));
    }
    s.press(keys::TAB, count as usize);
    let walked = s.eval(
        "document.removeEventListener('focusin', window.__onFocus);
         document.querySelectorAll('[data-a11y-idx]').forEach((e) => delete e.dataset.a11yIdx);
         document.getElementById('a11y-start')?.remove();
         return window.__tabs;",
    );
    let walked: Vec<String> = walked
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or("?").to_string())
        .collect();
    let expected: Vec<String> = (0..count).map(|i| i.to_string()).collect();
    if walked != expected {
        let first_wrong = walked
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(walked.len().min(expected.len()));
        problems.push(format!(
            "{screen}: Tab order differs from the document at stop {first_wrong} of {count}: \
             walked {:?}",
            &walked[first_wrong.saturating_sub(2)..(first_wrong + 3).min(walked.len())]
        ));
    }
    Report {
        problems,
        controls: r["controls"].as_u64().unwrap(),
        tab_stops: count,
        worst_contrast: r["worst"].as_f64().unwrap(),
    }
}
