//! The git CLI wrapper (being written).
