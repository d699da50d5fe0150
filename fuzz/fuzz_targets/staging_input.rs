//! Staging inputs as the API receives them: a JSON object of strings, staged by every
//! installed algorithm directly and as NAACCR tumor items through the tumor mapping. Loads
//! the algorithm ZIPs of CANCER_REGISTRY_ALGORITHMS (default ../shared/staging/algorithms).
#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use cancer_registry::naaccr::Items;
use cancer_registry::staging::tumor::stage_tumor;
use cancer_registry::staging::{Registry, StageOptions};
use libfuzzer_sys::fuzz_target;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let dir = std::env::var_os("CANCER_REGISTRY_ALGORITHMS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../../shared/staging/algorithms"));
        match Registry::load_dir(&dir) {
            Ok(r) => r,
            Err(e) => panic!("cannot load the algorithms of {}: {e}", dir.display()),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(inputs) = serde_json::from_slice::<BTreeMap<String, String>>(data) else {
        return;
    };
    let options = StageOptions { current_year: 2026 };
    let registry = registry();
    for info in registry.algorithms() {
        if let Some(algorithm) = registry.get(&info.id) {
            let _ = algorithm.stage(inputs.iter(), &options);
        }
    }
    let tumor: Items = inputs.clone().into_iter().collect();
    let mut patient = Items::new();
    if let Some(sex) = inputs.get("sex") {
        patient.insert("sexAssignedAtBirth".into(), sex.clone());
    }
    let _ = stage_tumor(registry, &patient, &tumor, &options);
});
