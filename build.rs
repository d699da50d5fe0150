// Embedded migrations are read at compile time; without this an incremental build could ship a
// stale migration list.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
