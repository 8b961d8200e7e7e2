//! Fertility.
