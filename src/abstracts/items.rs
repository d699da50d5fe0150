//! Item maps of an abstract: validation against the v26 dictionary at a level, and merging a
//! change set (a value sets an item, `null` removes it).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::naaccr::value::{self, Rule};
use crate::naaccr::{Dictionary, Items, Level};

/// One failing item, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemError {
    /// NAACCR XML id of the item (or the request field).
    pub item: String,
    /// NAACCR item number, when the item is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// Stable rule slug: `unknown-item`, `wrong-level`, `too-long`, `too-short`, `data-type`,
    /// `date`, `invalid-code`, `blank`, `invalid-character`, `required`, ...
    pub rule: String,
    pub message: String,
}

impl ItemError {
    /// An error about a named item or field.
    pub fn new(item: &str, number: Option<u32>, rule: &str, message: impl Into<String>) -> Self {
        ItemError {
            item: item.to_string(),
            number,
            rule: rule.to_string(),
            message: message.into(),
        }
    }
}

/// A changed item, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemChange {
    pub item: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Checks one item at a level of the v26 dictionary: known, right level, format, and the code
/// list where the service has one.
pub fn check_item(level: Level, id: &str, value: &str) -> Result<(), ItemError> {
    check(level, id, value, true)
}

/// Like [`check_item`] without the code lists: the NAACCR exchange rules an imported file is
/// held to (code validity is then reported by the edits, as for any exchange file).
pub fn check_item_format(level: Level, id: &str, value: &str) -> Result<(), ItemError> {
    check(level, id, value, false)
}

fn check(level: Level, id: &str, value: &str, codes: bool) -> Result<(), ItemError> {
    let dict = Dictionary::v260();
    let Some(def) = dict.item(id) else {
        let hint = match id {
            "sex" => " (NAACCR v26 replaced Sex [220] with sexAssignedAtBirth [225])",
            _ => "",
        };
        return Err(ItemError::new(
            id,
            None,
            Rule::UnknownItem.slug(),
            format!("{id:?} is not a NAACCR v26 data item{hint}"),
        ));
    };
    if def.level != level {
        return Err(ItemError::new(
            id,
            Some(def.number),
            Rule::WrongLevel.slug(),
            format!(
                "{} [{}] is a {} item, not a {} item",
                def.name,
                def.number,
                def.level.xml_element(),
                level.xml_element()
            ),
        ));
    }
    let result = if codes {
        value::validate(def, value)
    } else {
        value::check_format(def, value)
    };
    result.map_err(|e| ItemError::new(id, Some(def.number), e.rule.slug(), e.message))
}

/// How strictly values are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// Everything, code lists included: what the API's writes get.
    Full,
    /// The exchange-format rules only: what imported files get.
    Format,
}

impl Checks {
    fn item(self, level: Level, id: &str, value: &str) -> Result<(), ItemError> {
        check(level, id, value, self == Checks::Full)
    }
}

/// Checks every item of a map; all failures are returned, not just the first.
pub fn check_items(level: Level, items: &Items) -> Vec<ItemError> {
    check_items_with(level, items, Checks::Full)
}

/// [`check_items`] at a strictness.
pub fn check_items_with(level: Level, items: &Items, checks: Checks) -> Vec<ItemError> {
    items
        .iter()
        .filter_map(|(id, v)| checks.item(level, id, v).err())
        .collect()
}

/// Applies a change set to `items` after checking every set value; returns what changed.
pub fn apply_changes(
    level: Level,
    items: &mut Items,
    changes: &BTreeMap<String, Option<String>>,
) -> Result<Vec<ItemChange>, Vec<ItemError>> {
    apply_changes_with(level, items, changes, Checks::Full)
}

/// [`apply_changes`] at a strictness.
pub fn apply_changes_with(
    level: Level,
    items: &mut Items,
    changes: &BTreeMap<String, Option<String>>,
    checks: Checks,
) -> Result<Vec<ItemChange>, Vec<ItemError>> {
    let errors: Vec<ItemError> = changes
        .iter()
        .filter_map(|(id, v)| match v {
            Some(v) => checks.item(level, id, v).err(),
            None => check_item(level, id, "x").err().filter(|e| {
                e.rule == Rule::UnknownItem.slug() || e.rule == Rule::WrongLevel.slug()
            }),
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut changed = Vec::new();
    for (id, new) in changes {
        let old = match new {
            Some(v) => items.insert(id.clone(), v.clone()),
            None => items.remove(id),
        };
        if old.as_ref() != new.as_ref() {
            changed.push(ItemChange {
                item: id.clone(),
                old,
                new: new.clone(),
            });
        }
    }
    Ok(changed)
}

/// What differs between two item maps, item by item.
pub fn diff(old: &Items, new: &Items) -> Vec<ItemChange> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| ItemChange {
            item: k.clone(),
            old: old.get(k).cloned(),
            new: new.get(k).cloned(),
        })
        .collect()
}

/// Items as stored JSON.
pub(crate) fn to_json(items: &Items) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "{}".to_string())
}

/// Items from stored JSON (a corrupt document reads as empty rather than failing the request;
/// writes always store valid JSON).
pub(crate) fn from_json(s: &str) -> Items {
    serde_json::from_str(s).unwrap_or_default()
}

/// Items as their stored JSON object, for an answer that shows them all: passed through as
/// they are instead of built into a map of a hundred items to be written out again (parsing,
/// writing and dropping that map took a sixth of a worker's time per tumor read).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Document(Box<serde_json::value::RawValue>);

impl Document {
    /// The stored document; a corrupt one reads as empty, as in [`from_json`].
    pub(crate) fn stored(json: String) -> Document {
        serde_json::value::RawValue::from_string(json)
            .ok()
            .filter(|raw| raw.get().starts_with('{'))
            .map_or_else(Document::empty, Document)
    }

    fn empty() -> Document {
        Document(
            serde_json::value::RawValue::from_string("{}".to_string())
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        )
    }
}

impl From<Items> for Document {
    fn from(items: Items) -> Document {
        Document::stored(to_json(&items))
    }
}

/// Only `keys` of items stored as JSON, the others skipped unread: a list that reads a few
/// items of many records (the due list) spends its time building maps of a hundred items
/// otherwise. A corrupt document reads as empty, as in [`from_json`].
pub(crate) fn only(s: &str, keys: &[&str]) -> Items {
    struct Only<'k>(&'k [&'k str]);
    impl<'de> serde::de::DeserializeSeed<'de> for Only<'_> {
        type Value = Items;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Items, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Only<'_> {
        type Value = Items;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of item values")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Items, A::Error> {
            let mut out = Items::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if self.0.contains(&key.as_ref()) {
                    out.insert(key.into_owned(), map.next_value::<String>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(s);
    serde::de::DeserializeSeed::deserialize(Only(keys), &mut de).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_passes_stored_items_through() {
        let json = r#"{"a":"1","b":"x\"y"}"#;
        let doc = serde_json::to_string(&Document::stored(json.to_string())).unwrap_or_default();
        assert_eq!(doc, json);
        let from_map = serde_json::to_string(&Document::from(from_json(json))).unwrap_or_default();
        assert_eq!(from_map, json);
        for corrupt in ["not json", "[1]", "\"text\"", ""] {
            let doc = serde_json::to_string(&Document::stored(corrupt.to_string()));
            assert_eq!(doc.unwrap_or_default(), "{}", "{corrupt}");
        }
    }

    #[test]
    fn only_reads_the_keys_asked() {
        let json = r#"{"a":"1","b\u0041":"x\"y","c":"3","d":"4"}"#;
        let all = from_json(json);
        let some = only(json, &["bA", "c", "zz"]);
        assert_eq!(some.len(), 2);
        assert_eq!(some.get("bA"), all.get("bA"));
        assert_eq!(some.get("c").map(String::as_str), Some("3"));
        assert!(only("not json", &["a"]).is_empty());
    }

    #[test]
    fn reports_each_rule() {
        let rule = |level, id, v| check_item(level, id, v).map_err(|e| e.rule);
        assert_eq!(rule(Level::Tumor, "primarySite", "C504"), Ok(()));
        assert_eq!(rule(Level::Tumor, "nope", "1"), Err("unknown-item".into()));
        assert_eq!(
            rule(Level::Patient, "primarySite", "C504"),
            Err("wrong-level".into())
        );
        assert_eq!(
            rule(Level::Tumor, "primarySite", "C5044"),
            Err("too-long".into())
        );
        assert_eq!(
            rule(Level::Tumor, "laterality", "X"),
            Err("data-type".into())
        );
        assert_eq!(
            rule(Level::Tumor, "laterality", "7"),
            Err("invalid-code".into())
        );
        assert_eq!(
            rule(Level::Tumor, "dateOfDiagnosis", "20230230"),
            Err("date".into())
        );
        assert_eq!(rule(Level::Patient, "sex", "1"), Err("unknown-item".into()));
    }

    #[test]
    fn applies_changes_and_removals() {
        let mut items = Items::new();
        items.insert("primarySite".into(), "C504".into());
        items.insert("laterality".into(), "1".into());
        let changes = BTreeMap::from([
            ("primarySite".to_string(), Some("C509".to_string())),
            ("laterality".to_string(), None),
        ]);
        let changed = apply_changes(Level::Tumor, &mut items, &changes).unwrap();
        assert_eq!(changed.len(), 2);
        assert_eq!(items.get("primarySite").map(String::as_str), Some("C509"));
        assert!(!items.contains_key("laterality"));
        let bad = BTreeMap::from([("laterality".to_string(), Some("8".to_string()))]);
        assert!(apply_changes(Level::Tumor, &mut items, &bad).is_err());
        assert!(!items.contains_key("laterality"));
    }
}
