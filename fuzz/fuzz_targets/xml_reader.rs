//! Any bytes through the streaming NAACCR XML reader, strict and relaxed: it must return
//! errors, never panic, hang or allocate without bound.
#![no_main]

use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::{NaaccrXmlReader, NamespaceMode, ReaderOptions};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn dictionaries() -> &'static DictionarySet {
    static SET: OnceLock<DictionarySet> = OnceLock::new();
    SET.get_or_init(DictionarySet::builtin)
}

fuzz_target!(|data: &[u8]| {
    for relaxed in [false, true] {
        let mut options = ReaderOptions::default();
        if relaxed {
            options.namespaces = NamespaceMode::Relaxed;
        }
        let Ok(mut reader) = NaaccrXmlReader::new(data, dictionaries(), options) else {
            continue;
        };
        // Every patient is read to the end of the document or the first fatal error.
        while let Ok(Some(_)) = reader.next_patient() {}
    }
});
