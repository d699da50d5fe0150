//! Item validation as an API write applies it: an item picked from the v26 dictionary by the
//! first two bytes, at the level picked by the third, with the rest as its value (and the same
//! value as a date). Must answer Ok or a specific error, never panic.
#![no_main]

use cancer_registry::abstracts::items::{check_item_format, check_items_with, Checks};
use cancer_registry::naaccr::{Dictionary, Items, Level, PartialDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let items = Dictionary::v260().items();
    let def = &items[(usize::from(data[0]) << 8 | usize::from(data[1])) % items.len()];
    let level = match data[2] % 3 {
        0 => Level::Patient,
        1 => Level::Tumor,
        _ => Level::Root,
    };
    let value = String::from_utf8_lossy(&data[3..]);
    let _ = check_item_format(level, &def.id, &value);
    let _ = PartialDate::parse(&value);
    let mut map = Items::new();
    map.insert(def.id.to_string(), value.to_string());
    // Inter-item rules see it beside a second item taken from the value's own halves.
    if let Some((a, b)) = value.split_once('=') {
        map.insert(a.to_string(), b.to_string());
    }
    let _ = check_items_with(level, &map, Checks::Full);
});
