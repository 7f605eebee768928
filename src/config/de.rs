//! serde straight from the YAML tree: a checked [`Node`] becomes the schema types without
//! an intermediate JSON value (half the allocations on a big file). An error still carries
//! the position of the node it is about.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::yaml::{Entry, Node, Span, Value};

/// A deserialization error at a position.
#[derive(Debug)]
pub struct Error {
    pub span: Option<Span>,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            span: None,
            message: msg.to_string(),
        }
    }
}

/// Reads a `T` from `node`. Top-level keys starting with `x-` are skipped (anchors live
/// there) when `root` is true.
pub fn from_node<'de, T: serde::Deserialize<'de>>(
    node: &'de Node<'de>,
    root: bool,
) -> Result<T, Error> {
    T::deserialize(NodeDeserializer { node, root })
}

struct NodeDeserializer<'de> {
    node: &'de Node<'de>,
    root: bool,
}

impl<'de> NodeDeserializer<'de> {
    fn at(&self, mut err: Error) -> Error {
        err.span.get_or_insert(self.node.span);
        err
    }
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => visitor.visit_seq(Items {
                items: items.iter(),
            }),
            Value::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                value: None,
                skip_x: self.root,
            }),
        };
        result.map_err(|e| self.at(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            // Unit variants, written as their name.
            Value::Str(s) => {
                let access = de::value::BorrowedStrDeserializer::<Error>::new(s);
                visitor.visit_enum(access).map_err(|e| self.at(e))
            }
            _ => Err(self.at(de::Error::custom(format!(
                "expected a name, found {}",
                self.node.kind_name()
            )))),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Items<'de> {
    items: std::slice::Iter<'de, Node<'de>>,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDeserializer { node, root: false })
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'de> {
    entries: std::slice::Iter<'de, Entry<'de>>,
    value: Option<&'de Node<'de>>,
    skip_x: bool,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        for entry in self.entries.by_ref() {
            if self.skip_x && entry.key.starts_with("x-") {
                continue;
            }
            self.value = Some(&entry.value);
            let key = de::value::BorrowedStrDeserializer::<Error>::new(&entry.key);
            return seed.deserialize(key).map(Some).map_err(|mut e| {
                e.span.get_or_insert(entry.key_span);
                e
            });
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(node) => seed.deserialize(NodeDeserializer { node, root: false }),
            None => Err(de::Error::custom("a value without a key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema::FileDef;
    use crate::config::yaml::{parse, to_json};

    #[test]
    fn reads_the_schema_types_like_serde_json_does() {
        let text = "version: 1\nx-anchor: &a {tier: stable}\ntiers: [stable]\nenvironments:\n  - {name: prod, account: \"111111111111\", variables: {n: 2, on: true, s: x}}\ncomponents:\n  api: {<<: *a, metadata: {k: [1, {j: null}]}}\ngates:\n  g: {exclude: [initiator], approvals: {all_of: [{group: x}]}}\n";
        let root = parse(text).unwrap().root;
        let ours: FileDef = from_node(&root, true).unwrap();
        let mut json = to_json(&root);
        json.as_object_mut().unwrap().remove("x-anchor");
        let theirs: FileDef = serde_json::from_value(json).unwrap();
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }

    #[test]
    fn errors_point_at_the_node() {
        let root = parse("version: 1\ntiers: [stable]\nenvironments: [{name: prod}]\ngates: {g: {exclude: [nobody]}}\n").unwrap().root;
        let err = from_node::<FileDef>(&root, true).unwrap_err();
        assert_eq!(err.span.map(|s| (s.line, s.col)), Some((4, 23)), "{err}");
    }
}
