//! Glob dialects (placeholder while the module is written).
