//! What auditors see of the values in the trail. The stored rows keep every value (the hash
//! chain covers them, and an investigation under the registry's own authority may need them);
//! the API shows auditors who did what to which record, and the values of clinical items, but
//! not the person: the items research de-identification withholds (names, addresses, numbers,
//! free text, geography below the state) and the birth date and ZIP code are masked wherever a
//! row's details carry item values (`items` snapshots of created and erased records, `changes`
//! with old and new values).

use serde_json::Value;

use crate::naaccr::Dictionary;
use crate::research::deid::{classify, ItemClass, Transform};

/// What a masked value reads as.
pub const MASKED: &str = "[masked]";

/// Whether an item's value would identify the person (an item outside the dictionary counts as
/// one: nothing unknown is shown).
pub fn identifies(item: &str) -> bool {
    match Dictionary::v260().item(item) {
        None => true,
        Some(def) => matches!(
            classify(def),
            ItemClass::Identifier(_)
                | ItemClass::Transformed(Transform::BirthYear | Transform::Zip3)
        ),
    }
}

/// Masks, in place, the identifying item values anywhere in a row's details.
pub fn for_auditor(details: &mut Value) {
    match details {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("items", Value::Object(items)) => {
                        for (item, v) in items.iter_mut() {
                            if !v.is_null() && identifies(item) {
                                *v = Value::String(MASKED.into());
                            }
                        }
                    }
                    ("changes", Value::Array(changes)) => changes.iter_mut().for_each(mask_change),
                    (_, nested) => for_auditor(nested),
                }
            }
        }
        Value::Array(values) => values.iter_mut().for_each(for_auditor),
        _ => {}
    }
}

fn mask_change(change: &mut Value) {
    let Some(item) = change.get("item").and_then(Value::as_str) else {
        for_auditor(change);
        return;
    };
    if !identifies(item) {
        return;
    }
    for side in ["old", "new"] {
        if let Some(v) = change.get_mut(side) {
            if !v.is_null() {
                *v = Value::String(MASKED.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifying_values_are_masked_clinical_ones_kept() {
        let mut details = json!({
            "items": { "nameLast": "DOE", "socialSecurityNumber": "123456789",
                       "dateOfBirth": "19400101", "addrAtDxPostalCode": "98101",
                       "race1": "01", "primarySite": "C504", "noSuchItem": "x" },
            "changes": [
                { "item": "nameLast", "old": "DOE", "new": "ROE" },
                { "item": "primarySite", "old": "C504", "new": "C509" },
                { "item": "telephone", "old": null, "new": "2065550100" }
            ],
            "tumorsUpdated": [{ "changes": [{ "item": "medicalRecordNumber", "old": "1", "new": "2" }] }],
            "reason": "correction"
        });
        for_auditor(&mut details);
        assert_eq!(
            details,
            json!({
                "items": { "nameLast": MASKED, "socialSecurityNumber": MASKED,
                           "dateOfBirth": MASKED, "addrAtDxPostalCode": MASKED,
                           "race1": "01", "primarySite": "C504", "noSuchItem": MASKED },
                "changes": [
                    { "item": "nameLast", "old": MASKED, "new": MASKED },
                    { "item": "primarySite", "old": "C504", "new": "C509" },
                    { "item": "telephone", "old": null, "new": MASKED }
                ],
                "tumorsUpdated": [{ "changes": [{ "item": "medicalRecordNumber", "old": MASKED, "new": MASKED }] }],
                "reason": "correction"
            })
        );
    }
}
