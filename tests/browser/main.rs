//! The workspace in a real browser: headless Chromium through chromedriver (W3C WebDriver),
//! against the real binary on SQLite and on PostgreSQL. Skips loudly without chromium and
//! chromedriver; fails under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod a11y;
mod server;
#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../api/support/mod.rs"]
mod support;
mod webdriver;
mod workspace;

/// Browser tests share the machine's two cores: one at a time.
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]

fn workspace_sqlite() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    workspace::run(support::Backend::Sqlite);
}

#[test]

fn workspace_postgres() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    workspace::run(support::Backend::Postgres);
}
